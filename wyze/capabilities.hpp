#pragma once
// How the Wyze cloud carries out a camera entity's command (SPEC §7, §10), as data: each entity row
// (mqtt/entities.cpp) names one of the tables below, and a table says, for sets of models, which
// cloud call does it. A model has a command only where a peer's code shows the call works; the
// sources of every entry are in the README ("Camera control") and beside the tables.
#include "wyze/camera.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wyze {

/// Which of Wyze's APIs carries a call: the `/app` API (run_action, set_property), the
/// device-management API's run_action, or the signed toggle API (SPEC §11).
enum class api : std::uint8_t { app, devicemgmt, toggle };

/// One command as cloud calls: a `run_action` with `action`, or one `set_property` per entry of
/// `properties` (pid, value), in order; or (`via` devicemgmt) one device-management action of
/// `capability` (power, siren, floodlight, spotlight) with `action` (its function, or the `on`
/// property's value); or (`via` toggle) one toggle of `capability` (notifications,
/// motion_detection) to `action` ("1"/"0").
struct camera_command {
  std::string mac;  ///< as the cloud reports it
  std::string model;
  std::string action;                                           ///< run_action's action_key; empty: properties
  std::vector<std::pair<std::string, std::string>> properties;  ///< set_property calls (pid, pvalue)
  bool as_list = false;  ///< one set_property_list call with every property, not set_property each
  api via = api::app;
  std::string capability{};

  bool operator==(const camera_command&) const = default;
};

/// A call of Wyze's /app API: `run_action` with the key for on (a button: its only key) and for
/// off, or `set_property` of each pid with `value_on` or `value_off`, in order (`as_list`: one
/// `set_property_list` call with them all).
/// `via` devicemgmt or toggle: `capability` names what is acted on, `action_on`/`action_off` the
/// function or value sent.
struct app_call {
  std::string_view action_on{}, action_off{};
  std::array<std::string_view, 2> pids{};
  std::string_view value_on = "1", value_off = "0";
  bool as_list = false;
  api via = api::app;
  std::string_view capability{};
};

/// The models that share one call for an entity.
struct model_call {
  std::span<const std::string_view> models;
  app_call call;
};

/// The cloud call of `camera`'s model in `table`, or nullptr when the model has none.
const app_call* call_for(const Camera& camera, std::span<const model_call> table);

/// The cloud calls that switch on or off (a button ignores `on`) through `call`.
camera_command command_for(const Camera& camera, const app_call& call, bool on);

/// True when `camera`'s model is one of `models`.
bool is_model(const Camera& camera, std::span<const std::string_view> models);

/// What the light entity of `camera` is named after (SPEC §10, §11): "Floodlight", "Lamp" (the lamp
/// socket), "Light" (the Bulb Cam), "Spotlight" (built into the Battery Cam Pro and the Pan v4), or
/// empty when the camera has no light the cloud switches.
std::string_view light_kind(const Camera& camera);

/// True when `camera` is one of the models of Wyze's device-management API (SPEC §11): its states
/// come from get_iot_prop, not from the device list.
bool uses_devicemgmt(const Camera& camera);

/// Copies to `to` every state of `from` that get_iot_prop reads for a device-management camera
/// (power, notifications, motion detection, siren, light, battery, charging, signal, memory card).
void copy_read_states(Camera& to, const Camera& from);

/// True when `camera` has the garage door controller (`dongle_product_model` HL_CGDC).
bool has_garage_door(const Camera& camera);

/// The tables of the entities with a command, and the model sets of entities without one: each
/// named by one entity row.
namespace capability {

// Mains-powered cameras: run_action and set_property work (ha-wyzeapi, wyzeapy, docker-wyze-bridge).
// Every model not listed in a table gets no control at all; models Wyze releases later are added
// once their calls are known. The Cam OG, the Cam Pan v4, the Floodlight Pro and the Battery Cam
// Pro answer run_action without acting on it (GW_GC1 says `result: 3`, wyze-sdk #150): they are
// the device-management models below.
inline constexpr std::string_view mains[] = {"WYZEC1",  "WYZEC1-JZ",   "WYZE_CAKP2JFUS", "HL_CAM3P",
                                             "HL_CAM4", "WYZECP1_JEF", "HL_PAN2",        "HL_PAN3",
                                             "HL_PANP", "HL_CFL2",     "WYZEDB3",        "HL_DB2"};
// The battery-powered Cam Outdoor (v2): power through run_action as on mains cameras (wyzeapy
// services/camera_service.py turn_on/turn_off; ha-wyzeapi switch.py POWER_SWITCH_UNSUPPORTED names
// only GW_BE1; jfarmer08/homebridge-wyze-smart-home src/accessories/WyzeCamera.js), no restart.
inline constexpr std::string_view outdoor[] = {"WVOD1", "HL_WCO2"};
// Doorbell Pro: no off function, no motion switch (ha-wyzeapi POWER_/MOTION_SWITCH_UNSUPPORTED).
inline constexpr std::string_view doorbell_pro[] = {"GW_BE1"};

// Wyze's device-management API (SPEC §11): the models of wyzeapy services/camera_service.py
// DEVICEMGMT_API_MODELS, each with the capabilities its payload_factory.py
// devicemgmt_get_iot_props_list reads. Actions: power iot-device wakeup/sleep, siren
// siren-on/siren-off, floodlight (iid 4) or spotlight (iid 5) `on` 1/0 (wyzeapy turn_on/off,
// siren_on/off, floodlight_on/off). Notifications and motion detection: the signed toggle API
// (wyzeapy _set_toggle), on every model but the Cam OG, which answers it InvalidSignature2
// (ha-wyzeapi switch.py NOTIFICATION_SWITCH_UNSUPPORTED, MOTION_SWITCH_UNSUPPORTED; #686). No
// restart: no peer shows a device-management call for it. The Solar Cam Pan (ME_WCO3) and the OG
// Telephoto (GW_GC2) are not here: wyzeapy has no capability list for them.
inline constexpr std::string_view devicemgmt_models[] = {"GW_GC1", "HL_PAN4", "LD_CFP", "AN_RSCW"};
inline constexpr std::string_view toggle_models[] = {"HL_PAN4", "LD_CFP", "AN_RSCW"};
// Lights: the Floodlight Pro's floodlight; the spotlight built into the Battery Cam Pro (ha-wyzeapi
// light.py) and the Pan v4 (wyzeapy floodlight_on: "Battery cam pro and Pan v4 have an integrated
// spotlight"). The OG has none that a peer switches (wyzeapy would send it the floodlight, iid 4,
// which is the OG's siren).
inline constexpr std::string_view floodlight_pro[] = {"LD_CFP"};
inline constexpr std::string_view spotlight_models[] = {"AN_RSCW", "HL_PAN4"};
/// The device-management models whose get_iot_prop list has memory-card-management.
inline constexpr std::string_view sd_card_models[] = {"GW_GC1", "LD_CFP", "AN_RSCW"};

inline constexpr app_call devicemgmt_power{
    .action_on = "wakeup", .action_off = "sleep", .via = api::devicemgmt, .capability = "power"};
inline constexpr app_call devicemgmt_siren{
    .action_on = "siren-on", .action_off = "siren-off", .via = api::devicemgmt, .capability = "siren"};

inline constexpr app_call power_actions{.action_on = "power_on", .action_off = "power_off"};
inline constexpr model_call power[] = {
    {mains, power_actions}, {outdoor, power_actions}, {devicemgmt_models, devicemgmt_power}};
inline constexpr model_call restart[] = {{mains, {.action_on = "restart"}}};
// The siren: run_action siren_on / siren_off (wyzeapy services/camera_service.py siren_on/siren_off)
// on the cameras ha-wyzeapi siren.py gives one (all but WYZECP1_JEF, WYZEC1-JZ and GW_BE1), of
// those this table controls, less the ones that have no siren: the Cam v1 (older than the v2,
// which has none) and the wired doorbells (a chime, no siren).
inline constexpr std::string_view siren_models[] = {"WYZE_CAKP2JFUS", "HL_CAM3P", "HL_CAM4", "HL_PAN2", "HL_PAN3",
                                                    "HL_PANP",        "HL_CFL2",  "WVOD1",   "HL_WCO2"};
inline constexpr model_call siren[] = {{siren_models, {.action_on = "siren_on", .action_off = "siren_off"}},
                                       {devicemgmt_models, devicemgmt_siren}};
// Lights (ha-wyzeapi light.py; wyzeapy camera_service.py floodlight_on/off): P1056 "1" / "2" on the
// Floodlight v2 and on a v3 with the floodlight (HL_CFL) or a v3 / v4 with the lamp socket
// (HL_CAM3SS) — which accessory, light_kind decides; run_action floodlight_on/off on the Bulb Cam.
inline constexpr std::string_view accessory_light_models[] = {"HL_CFL2", "WYZE_CAKP2JFUS", "HL_CAM4"};
inline constexpr std::string_view bulb_cam[] = {"HL_BC"};
inline constexpr model_call light[] = {
    {accessory_light_models, {.pids = {"P1056", ""}, .value_on = "1", .value_off = "2"}},
    {bulb_cam, {.action_on = "floodlight_on", .action_off = "floodlight_off"}},
    {floodlight_pro, {.action_on = "1", .action_off = "0", .via = api::devicemgmt, .capability = "floodlight"}},
    {spotlight_models, {.action_on = "1", .action_off = "0", .via = api::devicemgmt, .capability = "spotlight"}}};
// The garage door controller (HL_CGDC) on a camera: run_action garage_door_trigger, which opens a
// closed door and closes an open one (wyzeapy garage_door_open/close; ha-wyzeapi cover.py gives the
// cover to any camera with the accessory, the cameras of this table here).
inline constexpr model_call garage_door[] = {{mains, {.action_on = "garage_door_trigger"}}};
// "0" is off; "2" looks off in the app while notifications go on (docker-wyze-bridge #1313).
inline constexpr app_call p1{.pids = {"P1", ""}};
inline constexpr model_call notifications[] = {
    {mains, p1},
    {outdoor, p1},
    {doorbell_pro, p1},
    {toggle_models, {.action_on = "1", .action_off = "0", .via = api::toggle, .capability = "notifications"}}};
// Motion detection: P1047 and P1001 together on most cameras (newer ones need both, older ones
// ignore the second); P1029 on the battery-powered Outdoor cameras, through set_property_list
// (wyzeapy camera_service.py turn_on/off_motion_detection, types.py WCO_MOTION_DETECTION).
inline constexpr model_call motion_detection[] = {
    {mains, {.pids = {"P1047", "P1001"}}},
    {outdoor, {.pids = {"P1029", ""}, .as_list = true}},
    {toggle_models, {.action_on = "1", .action_off = "0", .via = api::toggle, .capability = "motion_detection"}}};
/// device_params.electricity is the battery's level on these (ha-wyzeapi sensor.py
/// CAMERAS_WITH_BATTERIES); wired doorbells report one too, which is not theirs (ha-wyzeapi #454).
inline constexpr std::string_view battery[] = {"WVOD1", "HL_WCO2", "AN_RSCW", "GW_BE1"};
/// The doorbells whose events with event_value 10 are presses (wyze-sdk models/events
/// EventAlarmType DOORBELL_RANG; wyze-sdk models/devices/base.py CAMERA_BELL names WYZEDB3, and the
/// Doorbell v2 is its successor on the same platform, mrlt8/docker-wyze-bridge PR #1034). The
/// Gwell-made doorbells (Doorbell Pro GW_BE1, Pro 2, Duo) are left out: no peer shows their presses
/// in the event list.
inline constexpr std::string_view doorbell[] = {"WYZEDB3", "HL_DB2"};

}  // namespace capability

}  // namespace wyze
