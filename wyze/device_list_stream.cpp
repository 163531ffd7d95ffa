#include "wyze/device_list_stream.hpp"

#include "wyze/protocol.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <string>

namespace json = boost::json;

namespace wyze {
namespace {

// SAX handler: follows the path root → data → device_list[i] and, inside each entry, keeps only
// the values of the keys the bridge reads (device_entry), straight from the parser's events: no
// document is built, and nothing else is kept. An entry is handed to the builder at its closing
// brace; the entry's buffers are reused for the next one.
class envelope_handler {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  explicit envelope_handler(bool thumbnails) : builder(thumbnails) {}

  std::string code, err_no, msg;
  bool root_is_object = false, has_data = false, has_list = false;
  device_list_builder builder;

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }

  bool on_object_begin(json::error_code&) { return open(false); }
  bool on_object_end(std::size_t, json::error_code&) { return close(false); }
  bool on_array_begin(json::error_code&) { return open(true); }
  bool on_array_end(std::size_t, json::error_code&) { return close(true); }

  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    if (reads_keys()) key_.append(s.data(), s.size());
    return true;
  }

  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    if (!reads_keys()) return true;
    key_.append(s.data(), s.size());
    if (entry_depth_ != 0) {
      entry_key();
      key_.clear();
    }
    return true;
  }

  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    if (target_) {
      if (!partial_) target_->text.clear();
      partial_ = true;
      target_->text.append(s.data(), s.size());
    } else if (entry_depth_ == 0 && depth_ == 1) {
      scalar_.append(s.data(), s.size());
    }
    return true;
  }

  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    if (entry_depth_ != 0) {
      if (target_) {
        if (!partial_) target_->text.clear();
        target_->text.append(s.data(), s.size());
        target_->type = raw_field::kind::string;
      }
      return value_done();
    }
    if (at_entry_start()) return builder.add_not_object(), true;
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
    return scalar([i](raw_field& f) { f.type = raw_field::kind::int64, f.int64 = i; },
                  [i] { return std::to_string(i); });
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    return scalar([u](raw_field& f) { f.type = raw_field::kind::uint64, f.uint64 = u; },
                  [u] { return std::to_string(u); });
  }
  bool on_double(double d, json::string_view, json::error_code&) {
    return scalar([d](raw_field& f) { f.type = raw_field::kind::real, f.real = d; }, [] { return std::string(); });
  }
  bool on_bool(bool b, json::error_code&) {
    return scalar([b](raw_field& f) { f.type = raw_field::kind::boolean, f.boolean = b; },
                  [] { return std::string(); });
  }
  bool on_null(json::error_code&) {
    return scalar([](raw_field& f) { f.type = raw_field::kind::null; }, [] { return std::string(); });
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  // Keys are read on the envelope's first levels, an entry's top level and its device_params.
  bool reads_keys() const {
    if (entry_depth_ == 0) return depth_ <= 2;
    return entry_is_object_ && (depth_ == entry_depth_ || (params_depth_ != 0 && depth_ == params_depth_) ||
                                (thumbs_depth_ != 0 && depth_ == thumbs_depth_));
  }

  // A key of the entry (or of its device_params) is complete: the value that follows fills
  // its field, if the bridge reads it.
  void entry_key() {
    if (depth_ == entry_depth_) {
      params_next_ = std::string_view(key_) == "device_params";  // a size compare first, not a memcmp
      // The last device_params wins, whatever it is (as in a document): forget an earlier one.
      if (params_next_) entry_.clear_params();
      target_ = params_next_ ? nullptr : entry_.top_field(key_);
    } else if (depth_ == params_depth_) {
      thumbs_next_ = std::string_view(key_) == "camera_thumbnails";
      if (thumbs_next_) entry_.clear_thumbs();  // the last one wins, whatever it is
      target_ = thumbs_next_ ? nullptr : entry_.param_field(key_);
    } else {
      target_ = entry_.thumb_field(key_);
    }
  }

  // A value inside an entry is complete.
  bool value_done() {
    target_ = nullptr;
    partial_ = false;
    params_next_ = false;
    thumbs_next_ = false;
    return true;
  }

  // An opening brace or bracket: a device entry starts, a value inside one is structured (an
  // object or array where the bridge reads a scalar), or one step of the path root → data →
  // device_list is taken.
  bool open(bool array) {
    if (entry_depth_ != 0) {
      if (target_) target_->type = raw_field::kind::structured;
      if (params_next_ && !array && depth_ == entry_depth_) params_depth_ = depth_ + 1;
      if (thumbs_next_ && !array && params_depth_ != 0 && depth_ == params_depth_) thumbs_depth_ = depth_ + 1;
      value_done();
    } else if (at_entry_start()) {
      entry_.clear();
      entry_is_object_ = !array;
      entry_depth_ = depth_ + 1;
    } else {
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

  bool close(bool array) {
    --depth_;
    if (entry_depth_ != 0) {
      if (thumbs_depth_ != 0 && depth_ + 1 == thumbs_depth_) thumbs_depth_ = 0;
      if (params_depth_ != 0 && depth_ + 1 == params_depth_) params_depth_ = 0;
      if (depth_ + 1 == entry_depth_) {
        if (entry_is_object_)
          builder.add(entry_);
        else
          builder.add_not_object();
        entry_depth_ = 0;
      }
      return true;
    }
    if (!array && depth_ == 1) in_data_ = false;  // the object that closed is a member of the root
    if (array && depth_ + 1 == list_depth_) list_depth_ = 0;
    key_.clear();
    return true;
  }

  bool at_entry_start() const { return entry_depth_ == 0 && list_depth_ != 0 && depth_ == list_depth_; }

  // A number, boolean or null: a field of an entry, an entry that is not an object, or a value
  // of the envelope (`code` may be a number).
  template <class Fill, class Text>
  bool scalar(Fill fill, Text as_text) {
    if (entry_depth_ != 0) {
      if (target_) fill(*target_);
      return value_done();
    }
    if (at_entry_start()) {
      builder.add_not_object();
    } else if (depth_ == 1) {
      top_level_scalar(as_text());
    }
    key_.clear();
    return true;
  }

  void top_level_scalar(const std::string& text) {
    if (key_ == "code")
      code = text;
    else if (key_ == "ErrNo")
      err_no = text;
    else if (key_ == "msg")
      msg = text;
  }

  std::size_t depth_ = 0;
  bool in_data_ = false;
  std::size_t list_depth_ = 0;
  std::string key_, scalar_;
  // The entry being read: entry_depth_ is the depth inside it (0: not in an entry), params_depth_
  // the depth inside its device_params object (0: not in it), thumbs_depth_ inside its
  // device_params.camera_thumbnails.
  device_entry entry_;
  std::size_t entry_depth_ = 0, params_depth_ = 0, thumbs_depth_ = 0;
  bool entry_is_object_ = false;
  raw_field* target_ = nullptr;  ///< the field the value being read fills
  bool partial_ = false;         ///< target_'s text holds the first parts of the string being read
  bool params_next_ = false;     ///< the value being read is the entry's device_params
  bool thumbs_next_ = false;     ///< the value being read is device_params.camera_thumbnails
};

}  // namespace

struct device_list_stream::impl {
  explicit impl(bool thumbnails) : parser(lenient(), thumbnails) {}
  json::basic_parser<envelope_handler> parser;
  // One nickname in Latin-1 must not fail the whole list: strings are repaired by the field rules (camera.cpp).
  static json::parse_options lenient() {
    json::parse_options options;
    options.allow_invalid_utf8 = true;
    return options;
  }
  json::error_code error;
  bool finished = false;
};

device_list_stream::device_list_stream(bool thumbnails) : impl_(new impl(thumbnails)) {}
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
  if (auto failed = envelope_failure(envelope_code(h.code, h.err_no), h.msg)) return *failed;
  if (!h.has_data) return error{failure::bad_response, "the answer has no data object"};
  if (!h.has_list) return error{failure::bad_response, "the response has no device_list array"};
  return h.builder.take();
}

}  // namespace wyze
