// A stand-in for AWS STS (AssumeRoleWithWebIdentity) and the EC2 instance
// metadata service (IMDSv2), for tests only: neither can run on these
// machines. It hands out the s3rver test credentials and logs each request,
// so a test can see the credentials were fetched, and fetched again when
// they expire. Not a mock of S3: S3 itself is s3rver.
//
//   node fake_aws_credentials.js PORT EXPECTED_WEB_TOKEN EXPIRES_IN_SECONDS
const http = require('http');
const [port, webToken, expiresIn] = process.argv.slice(2);
const expiration = () => new Date(Date.now() + Number(expiresIn) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    console.log(`${req.method} ${req.url}`);
    if (req.method === 'POST' && req.url === '/') {
      const form = new URLSearchParams(body);
      if (form.get('Action') !== 'AssumeRoleWithWebIdentity' || form.get('WebIdentityToken') !== webToken) {
        res.writeHead(403);
        res.end('<ErrorResponse><Error><Code>AccessDenied</Code><Message>bad token</Message></Error></ErrorResponse>');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/xml' });
      res.end(`<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>
<AccessKeyId>S3RVER</AccessKeyId><SecretAccessKey>S3RVER</SecretAccessKey>
<SessionToken>web-session</SessionToken><Expiration>${expiration()}</Expiration>
</Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`);
      return;
    }
    if (req.method === 'PUT' && req.url === '/latest/api/token') {
      res.end('imds-session-token');
      return;
    }
    if (req.headers['x-aws-ec2-metadata-token'] !== 'imds-session-token') {
      res.writeHead(401);
      res.end();
      return;
    }
    if (req.url === '/latest/meta-data/iam/security-credentials/') {
      res.end('backup-role\n');
      return;
    }
    if (req.url === '/latest/meta-data/iam/security-credentials/backup-role') {
      res.end(JSON.stringify({ Code: 'Success', AccessKeyId: 'S3RVER', SecretAccessKey: 'S3RVER',
                               Token: 'imds-session', Expiration: expiration() }));
      return;
    }
    res.writeHead(404);
    res.end();
  });
});
server.listen(Number(port), '127.0.0.1', () => console.log('listening'));
