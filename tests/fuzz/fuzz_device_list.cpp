// libFuzzer target: the device-list answer, as the cloud (or anything between) may send it. The
// first byte picks the size of the pieces the parser is fed in, as reads would split it; the same
// bytes in one piece must give the same answer. No crash, hang or leak, whatever the bytes.
// The streamed parser keeps only the fields it reads, straight from the parser's events; the
// document parser (a json::object per entry) must read the same entries into the same cameras.
#include "wyze/camera.hpp"
#include "wyze/device_list_stream.hpp"
#include "wyze/protocol.hpp"

#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace json = boost::json;

namespace {

// Camera equality leaves the signed thumbnail URL out (it is re-signed in every list): compared here.
bool same_urls(const wyze::camera_list& a, const wyze::camera_list& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (bool(a[i].thumbnail) != bool(b[i].thumbnail) || (a[i].thumbnail && a[i].thumbnail->url != b[i].thumbnail->url))
      return false;
  return true;
}

// The same entries as the document sees them (a key given twice already reduced to its last
// value), written out again and read by the streamed parser.
void check_against_document(std::string_view body) {
  json::parse_options options;
  options.allow_invalid_utf8 = true;
  json::error_code ec;
  json::value document = json::parse(body, ec, {}, options);
  if (ec || !document.is_object()) return;
  const auto* data = document.get_object().if_contains("data");
  if (!data) return;
  auto expected = wyze::parse_device_list(*data, true);
  const auto* object = data->if_object();
  const json::value* entries = object ? object->if_contains("device_list") : nullptr;
  if (!entries || !entries->is_array()) entries = object ? object->if_contains("device_info_list") : nullptr;
  if (!entries || !entries->is_array()) return;
  std::string rewritten = R"({"code":"1","data":{"device_list":)" + json::serialize(*entries) + "}}";
  // A number past double's range is infinite in the document, and Boost.JSON writes it as
  // -Infinity, which is not JSON (found by this target): such a document has no rewriting.
  json::parse(rewritten, ec, {}, options);
  if (ec) return;
  auto streamed = wyze::parse_device_list_response(200, rewritten, true);
  if (!streamed) __builtin_trap();
  if (streamed.value().cameras != expected.cameras || !same_urls(streamed.value().cameras, expected.cameras) ||
      streamed.value().problems != expected.problems || streamed.value().devices != expected.devices)
    __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::size_t piece = 1 + data[0] % 64;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  wyze::device_list_stream stream(true);
  for (std::size_t at = 0; at < body.size(); at += piece) stream.write(body.substr(at, piece));
  stream.finish();
  auto streamed = stream.take(200);
  auto whole = wyze::parse_device_list_response(200, body, true);
  // How the body was split must not change whether it is a device list, nor its cameras.
  if (bool(streamed) != bool(whole)) __builtin_trap();
  if (streamed && (streamed.value().cameras != whole.value().cameras ||
                   !same_urls(streamed.value().cameras, whole.value().cameras)))
    __builtin_trap();
  check_against_document(body);
  return 0;
}
