#pragma once
// A camera as the bridge sees it, and the lenient parser that builds it from the cloud's device list.
#include <boost/json/fwd.hpp>

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace wyze {

/// A value behind a shared pointer to const: copies of a Camera share it, an absent one costs a
/// pointer, and two are equal when their values are (or both are absent).
template <class T>
class shared_value {
 public:
  shared_value() = default;
  explicit shared_value(T value) : p_(std::make_shared<const T>(std::move(value))) {}
  explicit operator bool() const { return p_ != nullptr; }
  const T& operator*() const { return *p_; }
  const T* operator->() const { return p_.get(); }
  bool operator==(const shared_value& other) const { return p_ == other.p_ || (p_ && other.p_ && *p_ == *other.p_); }

 private:
  std::shared_ptr<const T> p_;
};

/// What the bridge adds to a camera from its events and pictures (SPEC §8); the device list never
/// fills it, and it carries over from one device list to the next.
struct camera_events {
  bool motion = false;
  std::optional<std::int64_t> last_event_ms{};
  std::shared_ptr<const std::string> picture{};  ///< the newest picture's bytes
  std::string picture_type = "image/jpeg";       ///< image/jpeg or image/png
  bool operator==(const camera_events&) const = default;
};

/// device_params.camera_thumbnails: when the camera's newest thumbnail was taken, and its signed URL
/// (kept only to download it: never published or logged, and not compared, since the cloud signs it
/// anew in every list).
struct camera_thumbnail {
  std::int64_t ts = 0;
  std::string url{};
  bool operator==(const camera_thumbnail& other) const { return ts == other.ts; }
};

/// A camera's memory card as Wyze's device-management API reports it (SPEC §11): its sizes as the
/// cloud gives them (MB), and its storage-status code as sent.
struct sd_card_state {
  std::int64_t total_mb = 0;
  std::int64_t used_mb = 0;
  std::optional<std::int64_t> status{};  ///< memory-card-management.storage-status, when a number
  bool operator==(const sd_card_state&) const = default;
};

/// One camera of the account. Every field the cloud may leave out is optional.
/// Stream keys (enr, p2p_id, dtls) are never read into it.
struct Camera {
  std::string mac;  ///< as the cloud reports it
  std::optional<std::string> nickname{};
  std::optional<std::string> product_model{};
  std::optional<std::string> product_type{};
  std::optional<std::string> firmware_ver{};
  std::optional<std::string> hardware_ver{};
  std::optional<std::string> ip{};
  std::optional<bool> online{};                    ///< conn_state 1 / 0
  std::optional<std::int64_t> conn_state_ts_ms{};  ///< when conn_state last changed
  std::optional<std::string> ssid{};
  std::optional<bool> power{};             ///< power_switch 1 / 0
  std::optional<bool> notifications{};     ///< push_switch 1 on; 0 (or 2, as the app shows it) off
  std::optional<bool> motion_detection{};  ///< device_params.motion_alarm_switch 1 / 0
  std::optional<std::string> timezone{};
  std::optional<int> battery{};    ///< device_params.electricity, 0–100 (whatever the model: see capabilities)
  std::optional<bool> charging{};  ///< device_params.battery_charging_status 1 / 0
  std::optional<int> signal{};     ///< rssi (device_params or top level), dBm, -127 to 0
  std::optional<std::string> accessory{};  ///< device_params.dongle_product_model, when not empty
  // States the device list does not carry, read by the batched property call (SPEC §10): they
  // carry over from one device list to the next, like the events.
  std::optional<bool> siren{};        ///< P1049 1 / 0
  std::optional<bool> light{};        ///< P1056 1 on, 2 (or 0) off
  std::optional<bool> garage_open{};  ///< P1056 1 open, 2 or 0 closed
  /// Device-management models (SPEC §11): the memory card, from get_iot_prop like their other
  /// states (power, notifications, motion detection, siren, light, battery, charging, signal),
  /// which for these models never come from the device list and carry over like the ones above.
  std::optional<sd_card_state> sd_card{};
  /// Only when pictures come from the device list's thumbnails (device_list_builder).
  shared_value<camera_thumbnail> thumbnail{};
  /// Absent while events and pictures are off: a 10,000-camera account pays a pointer a camera.
  shared_value<camera_events> events{};

  /// The id used in topics: the MAC upper-cased, every character outside [A-Za-z0-9_-] dropped.
  std::string id() const;

  bool operator==(const Camera&) const = default;
};

/// The longest MAC accepted from the cloud (real ones have 12 to 17 characters, device ids ~20).
inline constexpr std::size_t max_mac_length = 64;

/// A MAC in any notation as a topic id: upper-cased, every character outside [A-Za-z0-9_-] dropped.
std::string camera_id(std::string_view mac);

/// Cameras in the order the cloud listed them. A deque: a 10,000-camera list grows without the
/// vector's doubling, which would hold one and a half copies at its peak.
using camera_list = std::deque<Camera>;

/// The cameras of one device list, and what was wrong with the entries that were skipped.
struct device_list {
  camera_list cameras;
  std::vector<std::string> problems;
  std::size_t devices = 0;  ///< every entry, cameras or not
};

/// One value of a device entry as the cloud sent it, before the lenient rules read it.
struct raw_field {
  enum class kind : std::uint8_t { absent, string, int64, uint64, real, boolean, null, structured };
  kind type = kind::absent;
  std::string text{};  ///< kind::string (not yet checked to be UTF-8)
  std::int64_t int64 = 0;
  std::uint64_t uint64 = 0;
  double real = 0;
  bool boolean = false;
};

/// The fields of one device entry that the bridge reads, by name, and nothing else: the top level
/// and `device_params`. Both parsers fill it (the document one from a `json::object`, the streamed
/// one from the parser's events, without building a document), and one set of lenient rules turns
/// it into a Camera. A key given twice keeps its last value, as in a JSON document.
struct device_entry {
  enum top : std::uint8_t {
    mac,
    nickname,
    product_model,
    product_type,
    firmware_ver,
    hardware_ver,
    ip,
    conn_state,
    conn_state_ts,
    ssid,
    power_switch,
    push_switch,
    motion_alarm_switch,
    timezone_name,
    device_timezone,
    rssi,
    top_count
  };
  enum param : std::uint8_t {
    param_ip,
    param_ssid,
    param_power_switch,
    param_motion_alarm_switch,
    param_electricity,
    param_charging,
    param_rssi,
    param_accessory,
    param_count
  };
  enum thumb : std::uint8_t { thumbnails_url, thumbnails_ts, thumb_count };

  std::array<raw_field, top_count> fields{};
  std::array<raw_field, param_count> params{};  ///< all absent unless device_params is an object
  std::array<raw_field, thumb_count> thumbs{};  ///< device_params.camera_thumbnails, when an object

  /// The field a top-level key fills (nullptr: a key the bridge does not read).
  raw_field* top_field(std::string_view key);
  /// The field a key inside device_params fills (nullptr: not read).
  raw_field* param_field(std::string_view key);
  /// The field a key inside device_params.camera_thumbnails fills (nullptr: not read).
  raw_field* thumb_field(std::string_view key);
  /// Forgets every value, keeping the strings' buffers for the next entry.
  void clear();
  void clear_params();
  void clear_thumbs();

  /// Every field the bridge reads, from an entry of a JSON document.
  static device_entry of(const boost::json::object& entry);
};

/// Turns device entries, one at a time, into cameras: entries that are not cameras are ignored;
/// entries without a usable MAC, or repeating one, are skipped with a problem.
class device_list_builder {
 public:
  /// `thumbnails`: read the cameras' thumbnails (only when pictures come from the device list).
  explicit device_list_builder(bool thumbnails = false) : thumbnails_(thumbnails) {}
  void add(const boost::json::value& entry);
  void add(const device_entry& entry);
  /// An entry of the list that is not a JSON object.
  void add_not_object();
  device_list take() { return std::move(list_); }

 private:
  device_list list_;
  std::unordered_set<std::string> seen_;
  bool thumbnails_ = false;
};

/// Builds cameras from the `data` object of get_object_list (`device_list`) or of the legacy
/// get_device_list (`device_info_list`). Entries that are not cameras are ignored; entries without
/// a usable MAC, or repeating one, are skipped with a problem. Fields of an unexpected type are
/// treated as not reported.
device_list parse_device_list(const boost::json::value& data, bool thumbnails = false);

}  // namespace wyze
