#pragma once
// Wyze's device-management API and its signed toggle API as values (SPEC §11): the requests of
// the Cam OG, Pan v4, Floodlight Pro and Battery Cam Pro in, their parsed answers out. No I/O, no
// clock. Every shape is SecKatie/wyzeapy's: services/base_service.py _run_action_devicemgmt,
// _get_iot_prop_devicemgmt, _set_toggle; payload_factory.py; crypto.py olive_create_signature;
// services/camera_service.py update.
#include "wyze/camera.hpp"
#include "wyze/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wyze {

namespace paths {
inline constexpr std::string_view devicemgmt_action = "/device-management/api/action/run_action";
inline constexpr std::string_view devicemgmt_properties = "/device-management/api/device-property/get_iot_prop";
inline constexpr std::string_view toggle = "/v4/subscription-service/toggle-management";
}  // namespace paths

/// The fixed transactionId wyzeapy sends ("OG cam needs this (doesn't matter what the value is)").
inline constexpr std::string_view devicemgmt_transaction_id = "0a5b20591fedd4du1b93f90743ba0csd";
/// The toggle API's fixed headers (wyzeapy const.py SOURCE, APP_PLATFORM, APP_VERSION; the
/// requestid of _set_toggle).
inline constexpr std::string_view toggle_source = "ios/WZCameraSDK";
inline constexpr std::string_view toggle_platform = "ios";
inline constexpr std::string_view toggle_app_version = "2.18.43";
inline constexpr std::string_view toggle_request_id = "35374158s4s313b9a2be7c057f2da5d1";

/// Body of a device-management action: `capability` power (function `value` wakeup/sleep),
/// siren (siren-on/siren-off), floodlight or spotlight (`on` = `value`, 1/0), on camera `mac` of
/// `model`. Empty for a capability wyzeapy does not define.
std::string devicemgmt_action_body(std::string_view mac, std::string_view model, std::string_view capability,
                                   std::string_view value, std::int64_t nonce_ms);

/// Body of get_iot_prop for camera `mac` of `model`: of wyzeapy's capability list for the model,
/// the properties the bridge shows (never the Wi-Fi password wyzeapy's list also asks for). Empty
/// for a model without a list.
std::string iot_properties_body(std::string_view mac, std::string_view model, std::int64_t nonce_ms);

/// What get_iot_prop said of one camera (wyzeapy camera_service.py update reads the first five).
struct iot_state {
  std::optional<bool> power;             ///< iot-device.iot-power
  std::optional<bool> notifications;     ///< iot-device.push-switch
  std::optional<bool> motion_detection;  ///< camera.motion-detect-recording
  std::optional<bool> siren;             ///< siren.state
  std::optional<bool> light;             ///< floodlight.on or spotlight.on
  std::optional<int> battery;            ///< battery.battery-level, 0–100
  std::optional<bool> charging;          ///< battery.charging-status 1 / 0
  std::optional<int> signal;             ///< wifi.signal-strength, when in dBm (-127 to 0)
  std::optional<sd_card_state> sd_card;  ///< memory-card-management
  bool operator==(const iot_state&) const = default;
};

/// Parses get_iot_prop's answer, `{"code":1,"data":{"capabilities":[{"name":…,"properties":{…}}]}}`.
/// A value of an unexpected type or range is no value; a code other than 1 is the failure it names.
result<iot_state> parse_iot_properties(unsigned status, std::string_view body);

/// Parses a device-management action's answer: code 1 is done, any other the failure it names.
result<done> parse_devicemgmt_answer(unsigned status, std::string_view body);

/// One toggle: the page and toggle ids of `capability` (notifications: cam_device_notify /
/// ge.push_switch; motion_detection: cam_event_recording / ge.motion_detect_recording, wyzeapy
/// types.py DeviceMgmtToggleProps), to `status` "1" or "0".
struct toggle_request {
  std::string mac;
  std::string model;
  std::string capability;
  std::string status;
  std::int64_t nonce_ms = 0;
};

/// The JSON body of the toggle call, wyzeapy's payload (compact: the cloud reads it as JSON, and
/// signature2 signs toggle_signed_text, not these bytes). Empty for an unknown capability or
/// status, or a MAC or model with characters other than letters, digits and `_-:.` (whose Python
/// repr could differ from the text quoted).
std::string toggle_body(const toggle_request& request);

/// The text wyzeapy's olive_create_signature signs for that body: `data=<str(data)>&nonce=<nonce>`,
/// the keys sorted and each value as Python's str() writes it (single quotes, ", " and ": ").
std::string toggle_signed_text(const toggle_request& request);

/// signature2 of the toggle call: hex HMAC-MD5 of toggle_signed_text, keyed with the hex string
/// md5(access_token + "wyze_app_secret_key_132") — the key of the event list's signature.
std::string toggle_signature(std::string_view access_token, const toggle_request& request);

/// Parses the toggle API's answer, `{"status":200,…}`; another status with
/// `response.errors[0].message` is the failure it names (InvalidTokenError: the token expired).
result<done> parse_toggle_answer(unsigned status, std::string_view body);

}  // namespace wyze
