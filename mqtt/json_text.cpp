#include "mqtt/json_text.hpp"

namespace broker {

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out.reserve(out.size() + text.size() + 2);
  out.push_back('"');
  std::size_t run = 0;  // start of the bytes not yet copied
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') [[likely]]
      continue;
    out.append(text, run, i - run);
    run = i + 1;
    out += '\\';
    switch (c) {
      case '"':
      case '\\':
        out += static_cast<char>(c);
        break;
      case '\b':
        out += 'b';
        break;
      case '\t':
        out += 't';
        break;
      case '\n':
        out += 'n';
        break;
      case '\f':
        out += 'f';
        break;
      case '\r':
        out += 'r';
        break;
      default:
        out += "u00";
        out += hex[c >> 4];
        out += hex[c & 0xf];
    }
  }
  out.append(text, run, text.size() - run);
  out += '"';
}

// Keys are the bridge's own names (never text from outside), with nothing to escape.
void json_members::key(std::string_view key) {
  if (text_.empty())
    text_.reserve(256);
  else
    text_ += ',';
  last_start_ = text_.size();
  text_.append("\"").append(key).append("\":");
}

json_members& json_members::string(std::string_view key, std::string_view value) {
  this->key(key);
  append_json_string(text_, value);
  return *this;
}

json_members& json_members::string_if(std::string_view key, std::string_view value) {
  return value.empty() ? *this : string(key, value);
}

namespace {

template <class Range>
std::string string_array(const Range& items) {
  std::string list = "[";
  for (std::string_view item : items) {
    if (list.size() > 1) list += ',';
    append_json_string(list, item);
  }
  return list + "]";
}

}  // namespace

std::string json_string_array(std::initializer_list<std::string_view> items) { return string_array(items); }
std::string json_string_array(const std::vector<std::string_view>& items) { return string_array(items); }

json_members& json_members::string_or_null(std::string_view key, const std::optional<std::string>& value) {
  return value ? string(key, *value) : null(key);
}

json_members& json_members::boolean_or_null(std::string_view key, std::optional<bool> value) {
  return value ? boolean(key, *value) : null(key);
}

json_members& json_members::boolean(std::string_view key, bool value) {
  this->key(key);
  text_ += value ? "true" : "false";
  return *this;
}

json_members& json_members::null(std::string_view key) {
  this->key(key);
  text_ += "null";
  return *this;
}

json_members& json_members::raw(std::string_view key, std::string_view json) {
  this->key(key);
  text_ += json;
  return *this;
}

json_members& json_members::append(const json_members& other) {
  if (!other.text_.empty()) {
    if (!text_.empty()) text_ += ',';
    last_start_ = text_.size() + other.last_start_;
    text_ += other.text_;
  }
  return *this;
}

std::string json_members::last_first() const {
  if (last_start_ == 0) return text_;  // one member, or none
  std::string out;
  out.reserve(text_.size());
  out.append(text_, last_start_).append(",").append(text_, 0, last_start_ - 1);
  return out;
}

}  // namespace broker
