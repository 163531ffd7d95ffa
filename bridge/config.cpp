#include "bridge/config.hpp"

#include "bridge/metrics_server.hpp"
#include "wyze/totp.hpp"
#include "wyze/trust_anchors.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <sys/stat.h>

namespace bridge {

config_error::config_error(std::vector<std::string> problems)
    : std::runtime_error(problems.empty() ? "bad config" : problems.front()), problems_(std::move(problems)) {}

environment process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (!value || !*value) return std::nullopt;
    return std::string(value);
  };
}

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t next = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = row[j];
      row[j] = next;
    }
  }
  return row[b.size()];
}

std::string closest(std::string_view key, const std::vector<std::string>& known) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(3, key.size() / 2) + 1;
  for (const auto& k : known)
    if (auto d = edit_distance(key, k); d < best_distance) best = k, best_distance = d;
  return best;
}

// Levels without wildcards or empty levels; no NUL (it ends the topic for Paho's C layer) and no
// leading $ (reserved for the broker's own topics, $SYS).
bool valid_topic(std::string_view topic) {
  if (topic.empty() || topic.front() == '/' || topic.back() == '/' || topic.front() == '$') return false;
  if (topic.find("//") != std::string_view::npos) return false;
  return topic.find_first_of(std::string_view("+#\0", 3)) == std::string_view::npos;
}

// Wyze's keys, ids and passwords are far shorter; a longer one is a wrong file, and would make a
// request header the HTTP client refuses.
constexpr std::size_t max_secret_length = 1024;
// Far more than any config needs; `--config /dev/zero` must not read without end.
constexpr std::size_t max_config_size = std::size_t{1024} * 1024;

// Reads one file, collecting every problem instead of stopping at the first.
class reader {
 public:
  reader(std::string file, const environment& env) : file_(std::move(file)), env_(env) {}

  using field = std::function<void(const YAML::Node& value, const std::string& name)>;

  void problem(const YAML::Mark& mark, const std::string& text) {
    problems_.push_back(file_ + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1) + ": " +
                        text);
  }

  // Walks one section: every key must be known, each known key is handed to its field.
  void section(const YAML::Node& root, const std::string& name, const std::map<std::string, field>& fields) {
    for (const auto& [key, f] : fields) keys_.push_back(name + "." + key);
    const YAML::Node node = root[name];
    if (!node.IsDefined() || node.IsNull()) return;
    marks_[name] = node.Mark();
    if (!node.IsMap()) return problem(node.Mark(), name + ": expected a mapping of keys");
    std::vector<std::string> known;
    known.reserve(std::size(fields));
    for (const auto& [key, f] : fields) known.push_back(key);
    std::map<std::string, YAML::Mark> given;
    for (const auto& entry : node) {
      std::string key = entry.first.Scalar();
      if (auto [first, fresh] = given.emplace(key, entry.first.Mark()); !fresh) {
        problem(entry.first.Mark(), "duplicate key " + name + "." + key + " (first given at line " +
                                        std::to_string(first->second.line + 1) + "); give each key once");
        continue;
      }
      auto it = fields.find(key);
      if (it == fields.end()) {
        std::string hint = closest(key, known);
        problem(entry.first.Mark(),
                "unknown key " + name + "." + key + (hint.empty() ? "" : " (did you mean " + name + "." + hint + "?)"));
        continue;
      }
      marks_[name + "." + key] = entry.second.Mark();
      it->second(entry.second, name + "." + key);
    }
  }

  /// Where a secret was given: its `<name>_file` key, else the key itself.
  YAML::Mark mark_of_secret(const std::string& name) const {
    auto file = marks_.find(name + "_file");
    return file != marks_.end() ? file->second : mark_of(name);
  }

  YAML::Mark mark_of(const std::string& name) const {
    for (std::string key = name;;) {
      if (auto it = marks_.find(key); it != marks_.end()) return it->second;
      auto dot = key.rfind('.');
      if (dot == std::string::npos) return YAML::Mark();
      key.resize(dot);
    }
  }

  std::optional<std::string> scalar(const YAML::Node& n, const std::string& name, const char* expected) {
    if (n.IsNull()) return std::string();
    if (!n.IsScalar()) {
      problem(n.Mark(), name + ": expected " + expected);
      return std::nullopt;
    }
    return n.Scalar();
  }

  field text(std::string& out) {
    return [this, &out](const YAML::Node& n, const std::string& name) {
      if (auto v = scalar(n, name, "a string")) out = *v;
    };
  }

  // A secret written inline; remembered so a file readable by others can be warned about.
  field secret(std::string& out) {
    return [this, &out](const YAML::Node& n, const std::string& name) {
      auto v = scalar(n, name, "a string");
      if (!v || v->empty()) return;
      if (!out.empty()) return problem(n.Mark(), name + ": give the secret either inline or as a file, not both");
      out = *v;
      inline_secrets_ = true;
    };
  }

  field listen_address(std::string& out) {
    return [this, &out](const YAML::Node& n, const std::string& name) {
      auto v = scalar(n, name, "address:port");
      if (!v) return;
      if (!v->empty() && !parse_listen(*v))
        return problem(n.Mark(),
                       name + ": \"" + *v + "\" is not address:port (e.g. 127.0.0.1:9105, 0.0.0.0:9105 or [::1]:9105)");
      out = *v;
    };
  }

  field topic(std::string& out) {
    return [this, &out](const YAML::Node& n, const std::string& name) {
      auto v = scalar(n, name, "a topic");
      if (!v) return;
      if (!valid_topic(*v))
        return problem(n.Mark(), name + ": \"" + *v +
                                     "\" is not a valid topic (expected levels like wyze or home/wyze, without "
                                     "+, # or empty levels)");
      out = *v;
    };
  }

  field duration(milliseconds& out, milliseconds min, milliseconds max) {
    return [this, &out, min, max](const YAML::Node& n, const std::string& name) {
      auto v = scalar(n, name, "a duration");
      if (!v) return;
      auto d = parse_duration(*v);
      if (!d) return problem(n.Mark(), name + ": \"" + *v + "\" is not a duration (expected e.g. 90, 90s, 5m, 1h)");
      if (*d < min || *d > max)
        return problem(n.Mark(), name + ": " + *v + " is out of range (expected " + std::to_string(min.count() / 1000) +
                                     "s to " + std::to_string(max.count() / 1000) + "s)");
      out = *d;
    };
  }

  field size(std::size_t& out, std::size_t max) {
    return [this, &out, max](const YAML::Node& n, const std::string& name) {
      auto v = scalar(n, name, "a size");
      if (!v) return;
      auto s = parse_size(*v);
      if (!s || *s < 1024)
        return problem(n.Mark(), name + ": \"" + *v + "\" is not a size of at least 1KiB (expected e.g. 64MiB)");
      if (*s > max)
        return problem(n.Mark(),
                       name + ": " + *v + " is more than the " + std::to_string(max >> 20) + "MiB this setting allows");
      out = *s;
    };
  }

  field boolean(bool& out) {
    return [this, &out](const YAML::Node& n, const std::string& name) {
      bool value = false;
      if (!n.IsScalar() || !YAML::convert<bool>::decode(n, value))
        return problem(n.Mark(), name + ": expected true or false");
      out = value;
    };
  }

  field integer(int& out, int min, int max) {
    return [this, &out, min, max](const YAML::Node& n, const std::string& name) {
      auto v = scalar(n, name, "a number");
      if (!v) return;
      int value = 0;
      auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), value);
      if (ec != std::errc{} || end != v->data() + v->size() || value < min || value > max)
        return problem(n.Mark(), name + ": \"" + *v + "\" is not a whole number from " + std::to_string(min) + " to " +
                                     std::to_string(max));
      out = value;
    };
  }

  template <class T>
  field choice(T& out, std::vector<std::pair<std::string, T>> options) {
    return [this, &out, options](const YAML::Node& n, const std::string& name) {
      auto v = scalar(n, name, "a word");
      if (!v) return;
      std::string expected;
      for (const auto& [word, value] : options) {
        if (word == *v) return void(out = value);
        expected += (expected.empty() ? "" : " | ") + word;
      }
      problem(n.Mark(), name + ": \"" + *v + "\" is not one of " + expected);
    };
  }

  field list(std::vector<std::string>& out) {
    return [this, &out](const YAML::Node& n, const std::string& name) {
      if (n.IsNull()) return;
      if (!n.IsSequence()) return problem(n.Mark(), name + ": expected a list, e.g. [\"2CAA8E123456\", \"Porch\"]");
      for (const auto& item : n)
        if (auto v = scalar(item, name, "a MAC or nickname")) out.push_back(*v);
    };
  }

  // `<name>_file: /path` gives the secret from a file (Docker secrets); its trailing newline is dropped.
  field secret_file(std::string& out) {
    return [this, &out](const YAML::Node& n, const std::string& name) {
      auto path = scalar(n, name, "a file path");
      if (!path || path->empty()) return;
      // Bounded: a device (/dev/zero), a pipe or a huge file must not hang or fill memory.
      constexpr std::size_t max_secret_size = std::size_t{64} * 1024;
      std::error_code ec;
      if (std::filesystem::exists(*path, ec) && !std::filesystem::is_regular_file(*path, ec))
        return problem(n.Mark(), name + ": " + *path + " is not a regular file (give the file that holds the secret)");
      std::ifstream in(*path, std::ios::binary);
      if (!in) return problem(n.Mark(), name + ": cannot read " + *path + " (check the path and its permissions)");
      std::string value(max_secret_size + 1, '\0');
      in.read(value.data(), static_cast<std::streamsize>(value.size()));
      value.resize(static_cast<std::size_t>(in.gcount()));
      if (value.size() > max_secret_size)
        return problem(n.Mark(),
                       name + ": " + *path + " is larger than 64 KiB, too large for a secret (is it the right file?)");
      while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
      if (!out.empty()) return problem(n.Mark(), name + ": give the secret either inline or as a file, not both");
      out = value;
    };
  }

  void override_from(const std::string& variable, std::string& out) {
    if (auto v = env_(variable)) out = *v;
  }

  void require(const std::string& name, const std::string& value, const std::string& variable) {
    if (value.empty())
      problem(mark_of(name), name + " is required (set it in the file or in the environment as " + variable + ")");
  }

  const std::vector<std::string>& problems() const { return problems_; }
  /// Every `section.key` the sections walked so far know.
  const std::vector<std::string>& keys() const { return keys_; }
  bool inline_secrets() const { return inline_secrets_; }

 private:
  bool inline_secrets_ = false;
  std::string file_;
  const environment& env_;
  std::vector<std::string> keys_;
  std::vector<std::string> problems_;
  std::map<std::string, YAML::Mark> marks_;
};

// Finds the first alias (*name) of a YAML document: aliases can make a small file expand into an
// enormous one (the "billion laughs"), and a config never needs them.
class alias_finder final : public YAML::EventHandler {
 public:
  std::optional<YAML::Mark> first;

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    if (!first) first = mark;
  }
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// The URL as it may be shown: a user name and password in it become ***.
std::string shown_url(std::string_view url) {
  auto scheme_end = url.find("://");
  auto authority = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  auto at = url.find('@', authority);
  if (at == std::string_view::npos || at > url.find('/', authority)) return std::string(url);
  return std::string(url.substr(0, authority)) + "***" + std::string(url.substr(at));
}

void check_url(reader& r, const std::string& name, const std::string& url,
               std::initializer_list<std::string_view> schemes) {
  auto parsed = boost::urls::parse_uri(url);
  bool scheme_ok = parsed && std::find(schemes.begin(), schemes.end(), parsed->scheme()) != schemes.end();
  if (!scheme_ok || parsed->host().empty()) {
    std::string expected;
    for (auto s : schemes) expected += (expected.empty() ? "" : " or ") + std::string(s) + "://host[:port]";
    r.problem(r.mark_of(name), name + ": \"" + shown_url(url) + "\" is not a URL of the form " + expected);
  } else if (parsed->has_port() && (parsed->port_number() == 0 || parsed->port().size() > 5)) {
    r.problem(r.mark_of(name), name + ": \"" + shown_url(url) + "\" has a port outside 1-65535");
  } else if ((!parsed->path().empty() && parsed->path() != "/") || parsed->has_query() || parsed->has_fragment()) {
    r.problem(r.mark_of(name),
              name + ": \"" + shown_url(url) + "\" has a path, query or fragment; give only scheme://host[:port]");
  } else if (parsed->has_userinfo()) {
    // Paho would not use it, and a password there ends up in logs and ps: refuse it.
    r.problem(r.mark_of(name), name + ": \"" + shown_url(url) +
                                   "\" holds a user name or password; set them in the username and password keys "
                                   "(or their environment variables) and give the URL without them");
  }
}

}  // namespace

std::optional<milliseconds> parse_duration(std::string_view text) {
  std::int64_t number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc{} || number < 0) return std::nullopt;
  std::string_view unit(end, text.data() + text.size() - end);
  static const std::map<std::string_view, std::int64_t> units{
      {"", 1000}, {"s", 1000}, {"ms", 1}, {"m", 60'000}, {"h", 3'600'000}};
  auto it = units.find(unit);
  if (it == units.end() || number > INT64_MAX / it->second) return std::nullopt;
  return milliseconds(number * it->second);
}

std::optional<std::size_t> parse_size(std::string_view text) {
  std::uint64_t number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc{}) return std::nullopt;
  std::string_view unit(end, text.data() + text.size() - end);
  static const std::map<std::string_view, std::uint64_t> units{
      {"", 1},      {"B", 1},         {"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30},
      {"KB", 1000}, {"MB", 1000'000}, {"GB", 1000'000'000}};
  auto it = units.find(unit);
  if (it == units.end() || number > (1ull << 40) / it->second) return std::nullopt;
  return static_cast<std::size_t>(number * it->second);
}

bool is_wyze_host(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return false;
  return wyze::is_wyze_host_name(parsed->host());
}

std::string state_dir_to_use(const config& cfg, const environment& env) {
  if (!cfg.wyze.state_dir.empty()) return cfg.wyze.state_dir;
  if (auto systemd = env("STATE_DIRECTORY")) return systemd->substr(0, systemd->find(':'));
  if (auto xdg = env("XDG_STATE_HOME")) return *xdg + "/wyze-mqtt-bridge";
  return "state";
}

std::string default_client_id(std::string_view host_name) {
  // FNV-1a: stable across runs and builds, unlike std::hash.
  std::uint32_t hash = 2166136261u;
  for (unsigned char c : host_name) hash = (hash ^ c) * 16777619u;
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%06x", hash & 0xffffff);
  return std::string("wyze-mqtt-bridge-") + suffix;
}

// Hands every key of every section to its field (and so lists the keys the parser knows).
static void read_sections(reader& r, const YAML::Node& root, config& cfg) {
  using std::chrono::hours;
  using std::chrono::seconds;
  auto& w = cfg.wyze;
  r.section(root, "wyze",
            {{"auth", r.choice(w.auth, {{"api_key", wyze::auth_mode::api_key}, {"legacy", wyze::auth_mode::legacy}})},
             {"email", r.text(w.email)},
             {"password", r.secret(w.password)},
             {"password_file", r.secret_file(w.password)},
             {"key_id", r.secret(w.key_id)},
             {"key_id_file", r.secret_file(w.key_id)},
             {"api_key", r.secret(w.api_key)},
             {"api_key_file", r.secret_file(w.api_key)},
             {"totp_key", r.secret(w.totp_key)},
             {"totp_key_file", r.secret_file(w.totp_key)},
             {"auth_url", r.text(w.auth_url)},
             {"api_url", r.text(w.api_url)},
             {"devicemgmt_url", r.text(w.devicemgmt_url)},
             {"toggle_url", r.text(w.toggle_url)},
             {"ca_file", r.text(w.ca_file)},
             {"poll_interval", r.duration(w.poll_interval, seconds(1), hours(24))},
             {"property_interval", r.duration(w.property_interval, seconds(1), hours(24))},
             {"timeout", r.duration(w.timeout, seconds(1), seconds(300))},
             {"max_response", r.size(w.max_response, std::size_t{1} << 30)},
             {"state_dir", r.text(w.state_dir)},
             {"include", r.list(w.include)},
             {"exclude", r.list(w.exclude)}});
  auto& m = cfg.mqtt;
  r.section(root, "mqtt",
            {{"url", r.text(m.url)},
             {"username", r.text(m.username)},
             {"password", r.secret(m.password)},
             {"password_file", r.secret_file(m.password)},
             {"client_id", r.text(m.client_id)},
             {"keepalive", r.duration(m.keepalive, seconds(5), seconds(65535))},
             {"base_topic", r.topic(m.base_topic)},
             {"qos", r.integer(m.qos, 0, 2)},
             {"ca_file", r.text(m.ca_file)},
             {"cert_file", r.text(m.cert_file)},
             {"key_file", r.text(m.key_file)},
             {"commands", r.boolean(m.commands)}});
  auto& h = cfg.homeassistant;
  r.section(root, "homeassistant",
            {{"discovery", r.boolean(h.discovery)},
             {"discovery_prefix", r.topic(h.discovery_prefix)},
             {"discovery_mode", r.choice(h.discovery_mode, {{"device", broker::discovery_mode::device},
                                                            {"components", broker::discovery_mode::components}})},
             {"status_topic", r.topic(h.status_topic)}});
  auto& e = cfg.events;
  r.section(root, "events",
            {{"enabled", r.boolean(e.enabled)},
             {"interval", r.duration(e.interval, seconds(1), hours(1))},
             {"api_url", r.text(e.api_url)},
             {"motion_off_after", r.duration(e.motion_off_after, seconds(5), hours(1))},
             {"pictures", r.boolean(e.pictures)},
             {"max_picture", r.size(e.max_picture, std::size_t{16} << 20)}});
  r.section(root, "log",
            {{"level", r.choice(cfg.log.level, {{"trace", common::logging::level::trace},
                                                {"debug", common::logging::level::debug},
                                                {"info", common::logging::level::info},
                                                {"warn", common::logging::level::warn},
                                                {"error", common::logging::level::error}})},
             {"format", r.choice(cfg.log.format,
                                 {{"text", common::logging::format::text}, {"json", common::logging::format::json}})}});
  r.section(root, "metrics", {{"listen", r.listen_address(cfg.metrics.listen)}});
}

config parse_config(const std::string& yaml, const std::string& file_name, const environment& env) {
  reader r(file_name, env);
  YAML::Node root;
  try {
    std::istringstream events(yaml);
    YAML::Parser parser(events);
    alias_finder aliases;
    parser.HandleNextDocument(aliases);
    if (aliases.first) {
      r.problem(*aliases.first, "YAML aliases (*name) are not accepted in the config; write the value out");
      throw config_error(r.problems());
    }
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    r.problem(e.mark, "not valid YAML: " + e.msg);
    throw config_error(r.problems());
  }
  config cfg;
  if (root.IsDefined() && !root.IsNull() && !root.IsMap()) {
    r.problem(root.Mark(), "expected a mapping with the sections wyze, mqtt, homeassistant, events, log, metrics");
    throw config_error(r.problems());
  }
  const std::vector<std::string> sections{"wyze", "mqtt", "homeassistant", "events", "log", "metrics"};
  std::map<std::string, YAML::Mark> given;
  if (root.IsMap()) {
    for (const auto& entry : root) {
      const std::string& name = entry.first.Scalar();
      if (auto [first, fresh] = given.emplace(name, entry.first.Mark()); !fresh) {
        r.problem(entry.first.Mark(), "duplicate section " + name + " (first given at line " +
                                          std::to_string(first->second.line + 1) + "); give each section once");
      } else if (std::find(sections.begin(), sections.end(), name) == sections.end()) {
        std::string hint = closest(name, sections);
        r.problem(entry.first.Mark(),
                  "unknown section " + name + (hint.empty() ? "" : " (did you mean " + hint + "?)"));
      }
    }
  }

  read_sections(r, root, cfg);
  using std::chrono::seconds;
  auto& w = cfg.wyze;
  auto& m = cfg.mqtt;

  r.override_from("WYZE_EMAIL", w.email);
  r.override_from("WYZE_PASSWORD", w.password);
  r.override_from("WYZE_KEY_ID", w.key_id);
  r.override_from("WYZE_API_KEY", w.api_key);
  r.override_from("WYZE_TOTP_KEY", w.totp_key);
  r.override_from("MQTT_URL", m.url);
  r.override_from("MQTT_USERNAME", m.username);
  r.override_from("MQTT_PASSWORD", m.password);
  if (auto listen = env("METRICS_LISTEN")) {
    if (listen->empty() || parse_listen(*listen))
      cfg.metrics.listen = *listen;
    else
      r.problem(r.mark_of("metrics.listen"),
                "METRICS_LISTEN: \"" + *listen + "\" is not address:port (e.g. 0.0.0.0:9105 or [::1]:9105)");
  }

  for (auto [name, value] : {std::pair{"wyze.password", &w.password},
                             {"wyze.key_id", &w.key_id},
                             {"wyze.api_key", &w.api_key},
                             {"wyze.totp_key", &w.totp_key},
                             {"mqtt.password", &m.password}})
    if (value->size() > max_secret_length)
      r.problem(r.mark_of_secret(name), std::string(name) + ": " + std::to_string(value->size()) +
                                            " characters, more than a Wyze or broker secret has (at most " +
                                            std::to_string(max_secret_length) + "); is it the right file?");

  r.require("wyze.email", w.email, "WYZE_EMAIL");
  r.require("wyze.password", w.password, "WYZE_PASSWORD");
  if (w.auth == wyze::auth_mode::api_key) {
    r.require("wyze.key_id", w.key_id, "WYZE_KEY_ID");
    r.require("wyze.api_key", w.api_key, "WYZE_API_KEY");
  }
  if (!w.totp_key.empty() && !wyze::base32_decode(w.totp_key))
    r.problem(r.mark_of("wyze.totp_key"),
              "wyze.totp_key: not a base32 secret (the letters A-Z and digits 2-7 your authenticator app shows)");
  check_url(r, "wyze.auth_url", w.auth_url, {"https"});
  check_url(r, "wyze.api_url", w.api_url, {"https"});
  check_url(r, "wyze.devicemgmt_url", w.devicemgmt_url, {"https"});
  check_url(r, "wyze.toggle_url", w.toggle_url, {"https"});
  check_url(r, "mqtt.url", m.url, {"mqtt", "mqtts"});
  check_url(r, "events.api_url", cfg.events.api_url, {"https"});
  if ((is_wyze_host(w.api_url) || is_wyze_host(w.auth_url)) && w.poll_interval < seconds(10))
    r.problem(r.mark_of("wyze.poll_interval"),
              "wyze.poll_interval: at least 10s against Wyze's own hosts, so the account is not rate-limited");
  if ((is_wyze_host(w.api_url) || is_wyze_host(w.devicemgmt_url)) && w.property_interval < seconds(60))
    r.problem(r.mark_of("wyze.property_interval"),
              "wyze.property_interval: at least 60s against Wyze's own hosts (every interval is one call for "
              "the accessories' states of all cameras)");
  if (cfg.events.enabled && is_wyze_host(cfg.events.api_url) && cfg.events.interval < seconds(5))
    r.problem(r.mark_of("events.interval"),
              "events.interval: at least 5s against Wyze's own hosts (every interval is one call of the event "
              "list; Wyze answers 1011 to accounts that call it too often)");
  if (m.client_id.size() > 23)
    r.problem(r.mark_of("mqtt.client_id"), "mqtt.client_id: \"" + m.client_id +
                                               "\" is longer than 23 characters, which MQTT 3.1.1 brokers may refuse");
  if (m.cert_file.empty() != m.key_file.empty())
    r.problem(r.mark_of(m.cert_file.empty() ? "mqtt.key_file" : "mqtt.cert_file"),
              "mqtt.cert_file and mqtt.key_file go together: set both for a client certificate, or neither");
  if (!r.problems().empty()) throw config_error(r.problems());
  if (w.auth == wyze::auth_mode::legacy)
    cfg.warnings.emplace_back("wyze.auth: " + std::string(wyze::legacy_login_notice));
  cfg.file_has_secrets = r.inline_secrets();
  return cfg;
}

std::vector<std::string> config_keys() {
  const environment none = [](const std::string&) { return std::optional<std::string>(); };
  reader r("", none);
  config cfg;
  read_sections(r, YAML::Node(), cfg);
  return r.keys();
}

config load_config(const std::string& path, const environment& env) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec))
    throw config_error({path + ": not a regular file (give --config the config file itself)"});
  std::ifstream in(path, std::ios::binary);
  if (!in) throw config_error({path + ": cannot read the config file (check --config and the file's permissions)"});
  std::string content(max_config_size + 1, '\0');
  in.read(content.data(), static_cast<std::streamsize>(content.size()));
  content.resize(static_cast<std::size_t>(in.gcount()));
  if (content.size() > max_config_size) throw config_error({path + ": larger than 1 MiB; is it the config file?"});
  config cfg = parse_config(content, path, env);
  struct stat info {};
  if (cfg.file_has_secrets && ::stat(path.c_str(), &info) == 0 && (info.st_mode & (S_IRGRP | S_IROTH)))
    cfg.warnings.push_back(path + " holds secrets and is readable by other users: run chmod 600 " + path +
                           ", or move the secrets to *_file entries or the environment");
  return cfg;
}

std::string render_config(const config& cfg) {
  auto masked = [](const std::string& secret) { return secret.empty() ? std::string() : std::string("***"); };
  auto seconds = [](milliseconds d) {
    return d.count() % 1000 ? std::to_string(d.count()) + "ms" : std::to_string(d.count() / 1000) + "s";
  };
  YAML::Emitter out;
  out << YAML::BeginMap;
  const auto& w = cfg.wyze;
  out << YAML::Key << "wyze" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "auth" << YAML::Value << (w.auth == wyze::auth_mode::api_key ? "api_key" : "legacy");
  out << YAML::Key << "email" << YAML::Value << w.email;
  out << YAML::Key << "password" << YAML::Value << masked(w.password);
  out << YAML::Key << "key_id" << YAML::Value << masked(w.key_id);
  out << YAML::Key << "api_key" << YAML::Value << masked(w.api_key);
  out << YAML::Key << "totp_key" << YAML::Value << masked(w.totp_key);
  out << YAML::Key << "auth_url" << YAML::Value << w.auth_url;
  out << YAML::Key << "api_url" << YAML::Value << w.api_url;
  out << YAML::Key << "devicemgmt_url" << YAML::Value << w.devicemgmt_url;
  out << YAML::Key << "toggle_url" << YAML::Value << w.toggle_url;
  out << YAML::Key << "ca_file" << YAML::Value << w.ca_file;
  out << YAML::Key << "poll_interval" << YAML::Value << seconds(w.poll_interval);
  out << YAML::Key << "property_interval" << YAML::Value << seconds(w.property_interval);
  out << YAML::Key << "timeout" << YAML::Value << seconds(w.timeout);
  out << YAML::Key << "max_response" << YAML::Value << std::to_string(w.max_response);
  out << YAML::Key << "state_dir" << YAML::Value << w.state_dir;
  out << YAML::Key << "include" << YAML::Value << YAML::Flow << w.include;
  out << YAML::Key << "exclude" << YAML::Value << YAML::Flow << w.exclude;
  out << YAML::EndMap;
  const auto& m = cfg.mqtt;
  out << YAML::Key << "mqtt" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "url" << YAML::Value << m.url;
  out << YAML::Key << "username" << YAML::Value << m.username;
  out << YAML::Key << "password" << YAML::Value << masked(m.password);
  out << YAML::Key << "client_id" << YAML::Value << m.client_id;
  out << YAML::Key << "keepalive" << YAML::Value << seconds(m.keepalive);
  out << YAML::Key << "base_topic" << YAML::Value << m.base_topic;
  out << YAML::Key << "qos" << YAML::Value << m.qos;
  out << YAML::Key << "ca_file" << YAML::Value << m.ca_file;
  out << YAML::Key << "cert_file" << YAML::Value << m.cert_file;
  out << YAML::Key << "key_file" << YAML::Value << m.key_file;
  out << YAML::Key << "commands" << YAML::Value << m.commands;
  out << YAML::EndMap;
  const auto& h = cfg.homeassistant;
  out << YAML::Key << "homeassistant" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "discovery" << YAML::Value << h.discovery;
  out << YAML::Key << "discovery_prefix" << YAML::Value << h.discovery_prefix;
  out << YAML::Key << "discovery_mode" << YAML::Value
      << (h.discovery_mode == broker::discovery_mode::device ? "device" : "components");
  out << YAML::Key << "status_topic" << YAML::Value << h.status_topic;
  out << YAML::EndMap;
  const auto& e = cfg.events;
  out << YAML::Key << "events" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "enabled" << YAML::Value << e.enabled;
  out << YAML::Key << "interval" << YAML::Value << seconds(e.interval);
  out << YAML::Key << "api_url" << YAML::Value << e.api_url;
  out << YAML::Key << "motion_off_after" << YAML::Value << seconds(e.motion_off_after);
  out << YAML::Key << "pictures" << YAML::Value << e.pictures;
  out << YAML::Key << "max_picture" << YAML::Value << std::to_string(e.max_picture);
  out << YAML::EndMap;
  static constexpr const char* levels[] = {"trace", "debug", "info", "warn", "error"};
  out << YAML::Key << "log" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "level" << YAML::Value << levels[static_cast<int>(cfg.log.level)];
  out << YAML::Key << "format" << YAML::Value << (cfg.log.format == common::logging::format::json ? "json" : "text");
  out << YAML::EndMap;
  out << YAML::Key << "metrics" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "listen" << YAML::Value << cfg.metrics.listen;
  out << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace bridge
