#pragma once
// JSON objects written straight as text, byte for byte as Boost.JSON's serializer writes the same
// object (members in the order added, no spaces, its escapes): the discovery configs and
// attributes of 10,000 cameras are built at every first publish and republish, and building a
// json::object for each, only to serialize it, was most of the bridge's own cost per message;
// bridge/devices, megabytes at 10,000 cameras, is written the same way.
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace broker {

/// Appends `text` as a JSON string literal, escaped as Boost.JSON serializes it: `"` and `\`,
/// \b \t \n \f \r, other C0 controls as \u00xx (lower-case hex), every other byte as it is.
void append_json_string(std::string& out, std::string_view text);

/// A JSON array of strings, e.g. ["a","b"].
std::string json_string_array(std::initializer_list<std::string_view> items);
std::string json_string_array(const std::vector<std::string_view>& items);

/// The members of one JSON object, written as they are added. Keys are the bridge's own names,
/// written as they are; values are escaped.
class json_members {
 public:
  json_members& string(std::string_view key, std::string_view value);
  /// A string member, left out when `value` is empty.
  json_members& string_if(std::string_view key, std::string_view value);
  /// A string member, or null when the value is not known.
  json_members& string_or_null(std::string_view key, const std::optional<std::string>& value);
  json_members& boolean(std::string_view key, bool value);
  /// A boolean member, or null when the value is not known.
  json_members& boolean_or_null(std::string_view key, std::optional<bool> value);
  json_members& null(std::string_view key);
  /// A member whose value is JSON text already (an object, an array).
  json_members& raw(std::string_view key, std::string_view json);
  /// Every member of `other`, after these.
  json_members& append(const json_members& other);

  /// The same members with the last one moved to the front: the order json::object::erase left
  /// when the first member was erased (it moves the last member into the gap). Components-mode
  /// configs were made that way, and keep their bytes.
  /// Returns the members' text, without braces.
  std::string last_first() const;

  bool empty() const { return text_.empty(); }
  /// The object: `{` members `}`.
  std::string object() const { return "{" + text_ + "}"; }
  /// The members alone, without braces.
  const std::string& text() const { return text_; }

 private:
  void key(std::string_view key);
  std::string text_;
  std::size_t last_start_ = 0;  ///< where the last member begins in text_
};

}  // namespace broker
