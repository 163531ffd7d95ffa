#include "wyze/device_list_stream.hpp"

#include "wyze/protocol.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>

#include <optional>
#include <vector>

namespace json = boost::json;

namespace wyze {
namespace {

// SAX handler: follows the path root → data → device_list[i] and hands each entry to the
// builder; everything else is skipped without being kept.
class envelope_handler {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  std::string code, msg;
  bool root_is_object = false, has_data = false, has_list = false;
  device_list_builder builder;

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }

  bool on_object_begin(json::error_code&) { return open(false); }
  bool on_object_end(std::size_t n, json::error_code&) { return close(false, n); }
  bool on_array_begin(json::error_code&) { return open(true); }
  bool on_array_end(std::size_t n, json::error_code&) { return close(true, n); }

  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    if (entry_)
      entry_->push_chars(s);
    else if (depth_ <= 2)
      key_.append(s.data(), s.size());
    return true;
  }

  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    if (entry_) return entry_->push_key(s), true;
    if (depth_ <= 2) key_.append(s.data(), s.size());
    return true;
  }

  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    if (entry_)
      entry_->push_chars(s);
    else if (depth_ == 1)
      scalar_.append(s.data(), s.size());
    return true;
  }

  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    if (entry_) return entry_->push_string(s), true;
    if (at_entry_start()) return builder.add(json::value(s)), true;
    if (depth_ == 1) {
      scalar_.append(s.data(), s.size());
      top_level_scalar(scalar_);
    }
    scalar_.clear();
    key_.clear();
    return true;
  }

  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    return scalar(json::value(i), std::to_string(i));
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    return scalar(json::value(u), std::to_string(u));
  }
  bool on_double(double d, json::string_view, json::error_code&) { return scalar(json::value(d), {}); }
  bool on_bool(bool b, json::error_code&) { return scalar(json::value(b), {}); }
  bool on_null(json::error_code&) { return scalar(json::value(nullptr), {}); }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  // An opening brace or bracket: a device entry starts (an entry that is not an object is kept
  // only to be reported), or one step of the path root → data → device_list is taken.
  bool open(bool array) {
    if (at_entry_start()) {
      entry_.emplace();
      entry_->reset();
      entry_depth_ = depth_ + 1;
    } else if (!entry_) {
      if (!array && depth_ == 0) root_is_object = true;
      if (!array && depth_ == 1 && key_ == "data") has_data = in_data_ = true;
      if (array && depth_ == 2 && in_data_ && (key_ == "device_list" || key_ == "device_info_list")) {
        has_list = true;
        list_depth_ = 3;
      }
    }
    ++depth_;
    key_.clear();
    return true;
  }

  bool close(bool array, std::size_t n) {
    --depth_;
    if (entry_) {
      if (array)
        entry_->push_array(n);
      else
        entry_->push_object(n);
      if (depth_ + 1 == entry_depth_) finish_entry();
    }
    if (!array && depth_ == 1) in_data_ = false;  // the object that closed is a member of the root
    if (array && depth_ + 1 == list_depth_) list_depth_ = 0;
    key_.clear();
    return true;
  }

  bool at_entry_start() const { return !entry_ && list_depth_ != 0 && depth_ == list_depth_; }

  bool scalar(json::value v, const std::string& text) {
    if (entry_) {
      if (v.is_int64())
        entry_->push_int64(v.get_int64());
      else if (v.is_uint64())
        entry_->push_uint64(v.get_uint64());
      else if (v.is_double())
        entry_->push_double(v.get_double());
      else if (v.is_bool())
        entry_->push_bool(v.get_bool());
      else
        entry_->push_null();
    } else if (at_entry_start()) {
      builder.add(v);
    } else if (depth_ == 1) {
      top_level_scalar(text);
    }
    key_.clear();
    return true;
  }

  void top_level_scalar(const std::string& text) {
    if (key_ == "code")
      code = text;
    else if (key_ == "msg")
      msg = text;
  }

  void finish_entry() {
    builder.add(entry_->release());
    entry_.reset();
    entry_depth_ = 0;
  }

  std::size_t depth_ = 0;
  bool in_data_ = false;
  std::size_t list_depth_ = 0, entry_depth_ = 0;
  std::string key_, scalar_;
  std::optional<json::value_stack> entry_;
};

}  // namespace

struct device_list_stream::impl {
  json::basic_parser<envelope_handler> parser{lenient()};
  // One nickname in Latin-1 must not fail the whole list: strings are repaired in to_camera.
  static json::parse_options lenient() {
    json::parse_options options;
    options.allow_invalid_utf8 = true;
    return options;
  }
  json::error_code error;
  bool finished = false;
};

device_list_stream::device_list_stream() : impl_(new impl) {}
device_list_stream::~device_list_stream() = default;

void device_list_stream::write(std::string_view chunk) {
  if (impl_->error || chunk.empty()) return;
  // The parser stops where the document ends: what follows may only be whitespace (found by
  // fuzzing: `2` then an object in the next read was taken for a device list).
  if (!impl_->parser.done()) {
    auto used = impl_->parser.write_some(true, chunk.data(), chunk.size(), impl_->error);
    if (impl_->error) return;
    chunk.remove_prefix(used);
  }
  if (chunk.find_first_not_of(" \t\r\n") != std::string_view::npos) impl_->error = json::error::extra_data;
}

void device_list_stream::finish() {
  if (impl_->error || impl_->finished) return;
  impl_->finished = true;
  if (!impl_->parser.done()) impl_->parser.write_some(false, nullptr, 0, impl_->error);
}

result<device_list> device_list_stream::take(unsigned status) {
  if (auto failed = status_failure(status)) return *failed;
  if (impl_->error) return error{failure::bad_response, "the answer is not JSON (" + impl_->error.message() + ")"};
  auto& h = impl_->parser.handler();
  if (!h.root_is_object) return error{failure::bad_response, "the answer is not a JSON object"};
  if (auto failed = envelope_failure(h.code, h.msg)) return *failed;
  if (!h.has_data) return error{failure::bad_response, "the answer has no data object"};
  if (!h.has_list) return error{failure::bad_response, "the response has no device_list array"};
  return h.builder.take();
}

}  // namespace wyze
