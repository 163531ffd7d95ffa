#pragma once
// Camera events of the signed v4 event list (SPEC section 8): the request, its signature, the
// answer, and what an event is called. Values only: no I/O, no clock.
#include "wyze/camera.hpp"
#include "wyze/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wyze {

namespace paths {
inline constexpr std::string_view event_list_v4 = "/app/v4/device/get_event_list";  // on events.api_url
}  // namespace paths

/// One call of the v4 event list: events of `macs` from `begin_ms` to `end_ms`.
struct event_query {
  std::vector<std::string> macs;
  std::int64_t begin_ms = 0;
  std::int64_t end_ms = 0;
  int count = 20;          ///< the most events one answer holds
  std::int64_t nonce = 0;  ///< the request time in ms, as the app sends it
};

/// The body of the v4 event list: compact JSON with its keys sorted, as the cloud signs it
/// (Python's json.dumps(separators=(",",":"), sort_keys=True)).
std::string event_list_body(const event_query& query);

/// The `signature2` header of a v4 call: hex HMAC-MD5 of the exact body bytes, keyed with the hex
/// string md5(access_token + app secret).
std::string event_signature(std::string_view access_token, std::string_view body);

/// The app id sent in the `appid` header of v4 calls, and the app the other headers name.
inline constexpr std::string_view event_app_id = "9319141212m2ik";
inline constexpr std::string_view event_app_version = "2.50.6.9";
inline constexpr std::string_view event_app_info = "wyze_ios_2.50.6.9";

/// The longest event id accepted (real ones are about 30 characters).
inline constexpr std::size_t max_event_id_length = 128;

/// The event_value of a doorbell's press (wyze-sdk models/events EventAlarmType DOORBELL_RANG).
inline constexpr int doorbell_press_value = 10;

/// One event of the list, as far as the bridge uses it. The picture URL is signed: never logged.
struct camera_event {
  std::string id;
  std::string mac;
  std::int64_t time_ms = 0;
  int value = 0;            ///< event_value: what raised it (event_type_of)
  std::vector<long> tags;   ///< AI tags (person 101, vehicle 102, …)
  std::string picture_url;  ///< file_list[type 1].url, or empty
};

/// The events of an answer, oldest first; entries without an id, a MAC or a time are skipped and
/// counted in `skipped`. Any other field of an unexpected type is taken as not reported.
struct event_list {
  std::vector<camera_event> events;
  std::size_t skipped = 0;
};

/// Parses the answer of the v4 (or v2) event list.
result<event_list> parse_event_list(unsigned status, std::string_view body);

/// The Home Assistant event type of an event: its AI tag if it has one the bridge names
/// (person, vehicle, pet, package, face, …), else what its value says (motion, sound, doorbell, …).
std::string event_type_of(const camera_event& event);

/// Whether the event counts as motion for the `motion` binary sensor.
bool is_motion(const camera_event& event);

/// Every event type event_type_of can return, for the event entity's `event_types`.
const std::vector<std::string_view>& event_types();

}  // namespace wyze
