// Just enough XML for S3 and STS answers: the text of elements by tag name.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lifeboat {

// Replaces XML entities (&amp; &lt; &gt; &quot; &apos; &#N; &#xN;).
std::string XmlUnescape(std::string_view s);
// The raw text of every <tag>...</tag> in `xml` (no nesting of the same tag).
std::vector<std::string_view> XmlAll(std::string_view xml, std::string_view tag);
// The unescaped text of the first <tag>...</tag>, or "".
std::string XmlFirst(std::string_view xml, std::string_view tag);

}  // namespace lifeboat
