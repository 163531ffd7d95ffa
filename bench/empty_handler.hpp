#pragma once
// A Boost.JSON SAX handler that keeps nothing: what the parser costs just to scan the bytes, the
// floor of any parse of the device list (micro_bench, and bridge_bench's steady-poll floor).
#include <boost/json/basic_parser_impl.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

namespace bench {

struct empty_handler {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);
  bool on_document_begin(boost::json::error_code&) { return true; }
  bool on_document_end(boost::json::error_code&) { return true; }
  bool on_object_begin(boost::json::error_code&) { return true; }
  bool on_object_end(std::size_t, boost::json::error_code&) { return true; }
  bool on_array_begin(boost::json::error_code&) { return true; }
  bool on_array_end(std::size_t, boost::json::error_code&) { return true; }
  bool on_key_part(boost::json::string_view, std::size_t, boost::json::error_code&) { return true; }
  bool on_key(boost::json::string_view, std::size_t, boost::json::error_code&) { return true; }
  bool on_string_part(boost::json::string_view, std::size_t, boost::json::error_code&) { return true; }
  bool on_string(boost::json::string_view, std::size_t, boost::json::error_code&) { return true; }
  bool on_number_part(boost::json::string_view, boost::json::error_code&) { return true; }
  bool on_int64(std::int64_t, boost::json::string_view, boost::json::error_code&) { return true; }
  bool on_uint64(std::uint64_t, boost::json::string_view, boost::json::error_code&) { return true; }
  bool on_double(double, boost::json::string_view, boost::json::error_code&) { return true; }
  bool on_bool(bool, boost::json::error_code&) { return true; }
  bool on_null(boost::json::error_code&) { return true; }
  bool on_comment_part(boost::json::string_view, boost::json::error_code&) { return true; }
  bool on_comment(boost::json::string_view, boost::json::error_code&) { return true; }
};

/// Scans `bytes` in 64 KiB pieces (as the HTTPS client reads them) with the handler above,
/// with the options of the bridge's own parser.
inline void scan_json(std::string_view bytes) {
  boost::json::parse_options options;
  options.allow_invalid_utf8 = true;
  boost::json::basic_parser<empty_handler> parser(options);
  boost::json::error_code ec;
  for (std::size_t at = 0; at < bytes.size() && !ec; at += 65536)
    parser.write_some(true, bytes.data() + at, std::min<std::size_t>(65536, bytes.size() - at), ec);
  if (!ec) parser.write_some(false, nullptr, 0, ec);
  if (ec) throw std::runtime_error("the scan failed: " + ec.message());
}

}  // namespace bench
