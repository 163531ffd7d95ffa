#pragma once
// The simulated Wyze account: its devices, tokens and faults, and the answers of every endpoint
// the bridge calls plus the control API tests use. Pure request → response; thread-safe.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace sim {

struct credentials {
  std::string email = "demo@example.com";
  std::string password = "demo-password";
  std::string key_id = "demo-key-id";
  std::string api_key = "demo-api-key";
};

struct request {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  ///< names in lower case
  std::string body;
};

struct response {
  unsigned status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::chrono::milliseconds delay{0};  ///< the server waits this long before answering
  std::vector<std::pair<std::string, std::string>> headers{};
  bool close_after = false;  ///< close the connection after answering, without saying so
  /// How the answer reaches the client: whole; cut off halfway through the body and the
  /// connection dropped; not at all (TCP reset once the request is read); a slow-loris body, one
  /// byte every 200 ms; after a `100 Continue` interim answer; followed on the kept-alive
  /// connection by a second, stale answer nobody asked for (an empty device list); or as a
  /// chunked body whose first chunk-size line carries 16 MiB of chunk extension.
  enum class delivery {
    whole,
    truncated,
    reset,
    trickle,
    interim,
    stale_follows,
    huge_chunk_line
  } how = delivery::whole;
};

/// How the simulated account behaves beyond its devices.
struct behaviour {
  std::size_t access_token_calls = 0;  ///< device-list calls an access token is good for (0 = any)
  std::string totp_key;                ///< base32: the API-key login asks for a TOTP code
  /// How long an access token lives: a JWT whose `exp` says so, refused with 2001 after it
  /// (today's tokens live about 6,000 s: shauntarves/wyze-sdk #175, SecKatie/ha-wyzeapi #612).
  std::chrono::seconds access_token_life{6000};
};

/// The key the Wyze app sends as X-API-Key on the TOTP step of a login (SecKatie/wyzeapy
/// `const.py` API_KEY; IDisposable/docker-wyze-bridge `internal/wyzeapi/auth.go` wyzeAppAPIKey).
inline constexpr std::string_view wyze_app_api_key = "WMXHYf79Nr5gIlt3r0r7p9Tcw5bvs6BB4U8O8nGJ";

class account {
 public:
  account(credentials creds, std::size_t cameras, std::uint32_t seed = 1, behaviour how = {});

  /// Answers one request: Wyze endpoints, or the control API under /sim/.
  response handle(const request& req);

  /// Counts a new client connection (stat "connections").
  void connection_opened();

  /// The MAC of generated camera `index` (0-based): 2CAA8E followed by six hex digits.
  static std::string generated_mac(std::size_t index);
  /// The product model of generated camera `index`: the simulator cycles through ten models.
  static std::string generated_model(std::size_t index);

 private:
  response control(const request& req);
  response api_key_login(const request& req);
  /// The second step of a login that got a TOTP challenge: POST /user/login.
  response mfa_login(const request& req);
  /// Whether `token` is the access token in force and not expired (an expired one is counted).
  bool access_token_valid(std::string_view token);
  response legacy_login(const request& req);
  bool totp_accepted(const boost::json::object& body);
  response refresh(const boost::json::object& body);
  response device_list(const boost::json::object& body, bool legacy);
  /// run_action, set_property and get_property_list of one camera.
  response run_action(const boost::json::object& body);
  response set_property(const boost::json::object& body);
  response property_list(const boost::json::object& body);
  /// set_property_list of one camera, and the batched read of many (SPEC §10).
  response set_property_list(const boost::json::object& body);
  response device_list_properties(const boost::json::object& body);
  /// Sets `pid` of `device` to `value` as set_property and set_property_list do; the refusal, if any.
  std::optional<response> set_pid(boost::json::object& device, const std::string& pid, const std::string& value);
  /// The pids the property reads answer for `device`: the ones the device list carries, then the rest.
  boost::json::array properties_of(boost::json::object& device);
  /// The camera a control call names, or the refusal to answer with.
  boost::json::object* control_target(const boost::json::object& body, std::string_view mac_key, response& refusal);
  void record_command(std::string endpoint, const std::string& mac, std::string what, std::string value);
  // Events and pictures (sim/account_events.cpp).
  response event_list_v4(const request& req);
  response event_list_v2(const boost::json::object& body);
  /// The events of `macs` from `begin` to `end` (ms), oldest first (`newest_first`: the other way),
  /// at most `count`, with their picture URLs signed for `host`.
  boost::json::array events_between(const std::vector<std::string>& macs, std::int64_t begin, std::int64_t end,
                                    std::size_t count, bool newest_first, const std::string& host);
  response create_events(const boost::json::object& body);
  response picture(const request& req);
  /// The thumbnail of camera `mac` before any event.
  static std::string thumbnail_picture(const std::string& mac);
  /// The account's thumbnail URLs (device_params.camera_thumbnails) as https://`host`/… URLs.
  void sign_thumbnails(boost::json::object& device, const std::string& host);
  response add_camera(const boost::json::object& fields);
  // The device-management and toggle APIs (sim/account_devicemgmt.cpp).
  response devicemgmt_action(const request& req);
  response devicemgmt_properties(const request& req);
  response toggle(const request& req);
  /// The device-management camera `target` (targetInfo) names, or the refusal to answer with.
  boost::json::object* devicemgmt_target(const boost::json::object& target, response& refusal);
  /// A device-management property (`capability.prop`) of `device`: as changed, else its default.
  std::string iot_value(const boost::json::object& device, const std::string& key);

 public:
  /// The demo's accessories (`--accessories`): a v3 with the garage door controller, a Floodlight
  /// v2, a Cam Outdoor v2 on its battery and a Video Doorbell, added to the account.
  void add_accessory_cameras();
  /// The demo's device-management models (`--newer-models`): a Cam OG and a Pan v4 with the ids
  /// these models report, a Floodlight Pro and a Battery Cam Pro (SPEC §11).
  void add_devicemgmt_cameras();
  /// The MAC of one of the account's cameras, picked by `draw` (the demo's events).
  std::string demo_camera(unsigned draw);
  /// The event value the demo's events on `mac` get: a doorbell's are presses now and then.
  int demo_event_value(const std::string& mac, unsigned draw);

 private:
  response change_camera(const std::string& mac, const boost::json::object& fields);
  response issue_tokens(bool envelope);
  boost::json::object camera_entry(std::size_t index);
  std::string random_hex(std::size_t length);
  bool pending_fault(response& out);

  std::mutex mutex_;
  credentials creds_;
  std::mt19937 random_;
  std::vector<boost::json::object> devices_;
  std::size_t next_index_ = 0;
  std::string access_token_, refresh_token_;
  std::int64_t access_expires_ms_ = 0;
  std::string fault_kind_;
  std::string fault_code_, fault_message_;  ///< the envelope error of fault "code"
  int fault_count_ = 0;
  std::chrono::milliseconds fault_delay_{0};
  std::map<std::string, std::uint64_t> stats_;
  std::vector<std::string> secrets_;  ///< every token and stream key handed out, for leak checks
  behaviour behaviour_;
  std::size_t token_calls_ = 0;  ///< device-list calls with the current access token
  std::optional<long> rate_limit_remaining_;
  std::int64_t rate_limit_reset_ms_ = 0;
  std::string user_agent_;       ///< of the last request to a Wyze endpoint
  boost::json::array commands_;  ///< the last control calls, oldest first (GET /sim/commands)
  std::map<std::string, std::map<std::string, std::string>> properties_;  ///< other pids set, by MAC
  std::string host_;            ///< the Host header of the request being answered (for URLs)
  std::string fault_endpoint_;  ///< when set, the fault applies only to requests for this path
  struct stored_picture {
    std::string bytes;
    std::string signature;      ///< X-Amz-Signature of its URL
    std::int64_t expires_ms{};  ///< the URL is refused after this
  };
  std::vector<boost::json::object> events_;         ///< every event, oldest first
  std::map<std::string, stored_picture> pictures_;  ///< by object key (event id, or thumbnail/<MAC>)
  std::uint64_t next_event_ = 0;
  std::set<std::string> answered_events_;  ///< event ids some event-list answer has carried
};

/// A valid baseline JPEG (a gray 64×64 picture) whose comment segment holds `comment`, padded with
/// more comment segments to at least `at_least` bytes.
std::string make_jpeg(std::string_view comment, std::size_t at_least = 0);

}  // namespace sim
