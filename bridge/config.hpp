#pragma once
// The YAML config of SPEC §2: every key with its default, environment overrides, `*_file`
// secrets, and strict validation that reports `file:line:col: what is wrong`.
#include "common/log.hpp"
#include "mqtt/discovery.hpp"
#include "wyze/protocol.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace bridge {

using std::chrono::milliseconds;

struct config {
  struct wyze_section {
    wyze::auth_mode auth = wyze::auth_mode::api_key;
    std::string email, password, key_id, api_key, totp_key;
    std::string auth_url = "https://auth-prod.api.wyze.com";
    std::string api_url = "https://api.wyzecam.com";
    /// The device-management API and the signed toggle API of the newer models (SPEC §11).
    std::string devicemgmt_url = "https://devicemgmt-service-beta.wyze.com";
    std::string toggle_url = "https://ai-subscription-service-beta.wyzecam.com";
    std::string ca_file;
    milliseconds poll_interval{60'000};
    /// The batched property read of the states the device list does not carry (SPEC §10).
    milliseconds property_interval{300'000};
    milliseconds timeout{15'000};
    std::size_t max_response = 64u << 20;
    std::string state_dir;
    std::vector<std::string> include, exclude;
  } wyze;
  struct mqtt_section {
    std::string url = "mqtt://localhost:1883";
    std::string username, password, client_id;
    milliseconds keepalive{60'000};
    std::string base_topic = "wyze";
    int qos = 1;
    std::string ca_file, cert_file, key_file;
    bool commands = true;  ///< accept camera commands on <base>/<id>/<entity>/set
  } mqtt;
  struct homeassistant_section {
    bool discovery = true;
    std::string discovery_prefix = "homeassistant";
    broker::discovery_mode discovery_mode = broker::discovery_mode::device;
    std::string status_topic = "homeassistant/status";
  } homeassistant;
  struct events_section {
    bool enabled = false;  ///< poll the account's camera events (SPEC §8)
    milliseconds interval{15'000};
    std::string api_url = "https://app-core.cloud.wyze.com";
    milliseconds motion_off_after{60'000};
    bool pictures = true;
    std::size_t max_picture = 1u << 20;
  } events;
  struct log_section {
    common::logging::level level = common::logging::level::info;
    common::logging::format format = common::logging::format::text;
  } log;
  struct metrics_section {
    std::string listen;
  } metrics;

  bool file_has_secrets = false;      ///< a secret was written inline in the file
  std::vector<std::string> warnings;  ///< problems that do not stop the bridge
};

/// Every problem found in a config file, one `file:line:col: …` line each.
class config_error : public std::runtime_error {
 public:
  explicit config_error(std::vector<std::string> problems);
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::vector<std::string> problems_;
};

/// Looks up an environment variable; empty values count as unset.
using environment = std::function<std::optional<std::string>(const std::string& name)>;

/// The process environment.
environment process_environment();

/// Parses and validates `yaml` read from `file_name`. Throws config_error listing every problem.
config parse_config(const std::string& yaml, const std::string& file_name, const environment& env);

/// Reads `path` and parses it. Throws config_error.
config load_config(const std::string& path, const environment& env);

/// Every key a config file may hold, as `section.key` (config.schema.json lists the same).
std::vector<std::string> config_keys();

/// The effective config as YAML, every secret shown as `***`.
std::string render_config(const config& cfg);

/// Parses `90`, `90s`, `5m`, `1h`, `500ms`; nullopt when it is not a duration.
std::optional<milliseconds> parse_duration(std::string_view text);

/// Parses `1048576`, `64KiB`, `64MiB`, `1GiB`, `16MB`; nullopt when it is not a size.
std::optional<std::size_t> parse_size(std::string_view text);

/// True when `url` points at one of Wyze's own hosts (where the shortest poll interval is 10 s).
bool is_wyze_host(const std::string& url);

/// Where tokens.json lives: wyze.state_dir, else $STATE_DIRECTORY (systemd's StateDirectory),
/// else $XDG_STATE_HOME/wyze-mqtt-bridge, else ./state.
std::string state_dir_to_use(const config& cfg, const environment& env);

/// `wyze-mqtt-bridge-<6 hex of the host name's hash>`: 23 characters, stable on one host.
std::string default_client_id(std::string_view host_name);

}  // namespace bridge
