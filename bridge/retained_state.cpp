#include "bridge/retained_state.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <bit>
#include <cctype>
#include <unordered_set>

namespace bridge {

namespace {

using broker::camera_entities;

// A camera's topics each have a slot: the state topic of row i is slot i, its discovery configs
// follow (device mode: one, at slot rows; components mode: the config of row i at rows + i).
const unsigned rows = static_cast<unsigned>(camera_entities().size());

constexpr std::uint64_t bit(unsigned slot) { return std::uint64_t{1} << slot; }

unsigned row_of(const broker::entity_row& row) { return static_cast<unsigned>(&row - camera_entities().data()); }

}  // namespace

retained_state::retained_state(publish_settings settings) : settings_(std::move(settings)) {}

unsigned retained_state::discovery_slot(const broker::entity_row& row) const {
  return settings_.discovery_settings.mode == broker::discovery_mode::device ? rows : rows + row_of(row);
}

std::vector<std::pair<unsigned, broker::message>> retained_state::slotted(const wyze::Camera& camera) const {
  std::vector<std::pair<unsigned, broker::message>> out;
  if (settings_.discovery) {
    auto configs = broker::camera_discovery(settings_.discovery_settings, camera);
    auto announced = broker::discovered_rows(camera, settings_.discovery_settings.features);
    for (std::size_t i = 0; i < configs.size() && i < announced.size(); ++i)
      out.emplace_back(discovery_slot(*announced[i]), std::move(configs[i]));
  }
  std::string id = camera.id();
  for (const auto& row : camera_entities())
    if (broker::has_state(row, camera, settings_.discovery_settings.features))
      out.emplace_back(row_of(row),
                       broker::message{broker::camera_topic(settings_.base_topic, id, row), row.state(camera)});
  return out;
}

retained_state::slots retained_state::slots_of(const wyze::Camera& camera) const {
  slots all = 0;
  const auto& features = settings_.discovery_settings.features;
  for (const auto& row : camera_entities())
    if (broker::has_state(row, camera, features)) all |= bit(row_of(row));
  if (settings_.discovery)
    for (const auto* row : broker::discovered_rows(camera, features)) all |= bit(discovery_slot(*row));
  return all;
}

std::vector<std::pair<unsigned, std::string>> retained_state::topics_of(const std::string& id) const {
  std::vector<std::pair<unsigned, std::string>> out;
  const auto& d = settings_.discovery_settings;
  for (const auto& row : camera_entities())
    if (row.state && broker::feature_on(d.features, row))
      out.emplace_back(row_of(row), broker::camera_topic(settings_.base_topic, id, row));
  for (const auto& row : camera_entities()) {
    if (row.platform.empty() || !broker::feature_on(d.features, row)) continue;
    out.emplace_back(discovery_slot(row), broker::camera_discovery_topic(settings_.discovery_settings, id, row));
    if (settings_.discovery_settings.mode == broker::discovery_mode::device) break;
  }
  return out;
}

void retained_state::enqueue(const std::string& id, slots publish, slots clear) {
  if (!publish && !clear) return;
  auto [it, inserted] = queued_.try_emplace(id);
  if (inserted) order_.push_back(id);
  // The newest word on a topic wins: a publish cancels a queued clear of it, and the other way round.
  it->second.publish = (it->second.publish & ~clear) | publish;
  it->second.clear = (it->second.clear & ~publish) | clear;
}

std::size_t retained_state::update(wyze::camera_list cameras) {
  std::size_t queued_topics = 0;
  std::unordered_set<std::string> present;
  present.reserve(cameras.size());
  for (auto& camera : cameras) {
    std::string id = camera.id();
    auto known = cameras_.find(id);
    // The event state is the bridge's own: it carries over from one device list to the next.
    const auto& d = settings_.discovery_settings;
    if (known != cameras_.end()) {
      camera.events = known->second.events;
      // So are the states of the property reads (the device list does not carry them).
      for (const auto& row : camera_entities())
        if (!row.property_pid.empty()) camera.*row.value = known->second.*row.value;
      if (wyze::uses_devicemgmt(camera)) wyze::copy_read_states(camera, known->second);
    }
    if (known == cameras_.end() && (d.features.events || d.features.pictures))
      camera.events = wyze::shared_value(camera.events ? *camera.events : wyze::camera_events{});
    if (known != cameras_.end() && known->second == camera) {
      present.insert(std::move(id));
      continue;
    }
    if (known == cameras_.end()) {
      slots all = slots_of(camera);
      enqueue(id, all, 0);
      queued_topics += static_cast<std::size_t>(std::popcount(all));
      cameras_.emplace(id, std::move(camera));
      present.insert(std::move(id));
      continue;
    }
    queued_topics += requeue_changes(id, known->second, std::move(camera));
    present.insert(std::move(id));
  }
  for (auto it = cameras_.begin(); it != cameras_.end();) {
    if (present.count(it->first)) {
      ++it;
      continue;
    }
    slots clear = slots_of(it->second);
    enqueue(it->first, 0, clear);
    queued_topics += static_cast<std::size_t>(std::popcount(clear));
    it = cameras_.erase(it);
  }
  return queued_topics;
}

std::size_t retained_state::requeue_changes(const std::string& id, wyze::Camera& known, wyze::Camera camera) {
  slots publish = 0, clear = 0;
  auto fresh = slotted(camera);
  auto before = slotted(known);
  // (Plain pairs, not structured bindings: clang 14, which builds the fuzzers, cannot capture those.)
  for (const auto& now : fresh) {
    auto was = std::find_if(before.begin(), before.end(), [&](const auto& b) { return b.first == now.first; });
    if (was == before.end() || was->second.payload != now.second.payload) publish |= bit(now.first);
  }
  // A topic the camera no longer has (e.g. conn_state no longer reported) is cleared.
  for (const auto& was : before)
    if (std::none_of(fresh.begin(), fresh.end(), [&](const auto& f) { return f.first == was.first; }))
      clear |= bit(was.first);
  enqueue(id, publish, clear);
  known = std::move(camera);
  return static_cast<std::size_t>(std::popcount(publish | clear));
}

std::vector<std::string> retained_state::recorded_topics(const std::string& id) const {
  std::string attributes = settings_.base_topic + "/" + id + "/" + std::string(broker::attributes_key);
  if (state_owner(attributes).second == nullptr) return {};
  std::vector<std::string> topics{std::move(attributes)};
  for (const auto& row : camera_entities()) {
    if (row.platform.empty()) continue;
    topics.push_back(broker::camera_discovery_topic(settings_.discovery_settings, id, row));
    if (settings_.discovery_settings.mode == broker::discovery_mode::device) break;
  }
  return topics;
}

const wyze::Camera* retained_state::find(const std::string& id) const {
  auto it = cameras_.find(id);
  return it == cameras_.end() ? nullptr : &it->second;
}

void retained_state::set_state(const std::string& id, const broker::entity_row& row, bool on) {
  auto it = cameras_.find(id);
  auto field = row.value;
  if (it == cameras_.end() || !field) return;
  wyze::Camera changed = it->second;
  changed.*field = on;
  requeue_changes(id, it->second, std::move(changed));
}

bool retained_state::replace(const std::string& id, wyze::Camera changed) {
  auto it = cameras_.find(id);
  if (it == cameras_.end()) return false;
  if (!(it->second == changed)) requeue_changes(id, it->second, std::move(changed));
  return true;
}

bool retained_state::set_events(const std::string& id, const std::function<void(wyze::camera_events&)>& change) {
  auto it = cameras_.find(id);
  if (it == cameras_.end()) return false;
  wyze::camera_events events = it->second.events ? *it->second.events : wyze::camera_events{};
  change(events);
  if (it->second.events && events == *it->second.events) return true;
  wyze::Camera changed = it->second;
  changed.events = wyze::shared_value(std::move(events));
  requeue_changes(id, it->second, std::move(changed));
  return true;
}

std::vector<std::string> retained_state::feature_topics(const std::string& id, std::string_view feature) const {
  std::vector<std::string> topics;
  for (const auto& row : camera_entities())
    if (row.state && row.feature == feature) topics.push_back(broker::camera_topic(settings_.base_topic, id, row));
  return topics;
}

void retained_state::republish(const std::string& id, const broker::entity_row& row) {
  auto it = cameras_.find(id);
  if (it != cameras_.end() && broker::has_state(row, it->second, settings_.discovery_settings.features))
    enqueue(id, bit(row_of(row)), 0);
}

void retained_state::queue_everything() {
  bridge_queued_.clear();
  if (settings_.discovery)
    for (auto& m : broker::bridge_discovery(settings_.discovery_settings)) bridge_queued_.push_back(std::move(m));
  for (const auto& [id, camera] : cameras_) enqueue(id, slots_of(camera), 0);
}

std::optional<broker::message> retained_state::next() {
  auto pop = [](std::deque<broker::message>& from) {
    broker::message m = std::move(from.front());
    from.pop_front();
    return m;
  };
  if (!bridge_queued_.empty()) return pop(bridge_queued_);
  while (ready_.empty() && !order_.empty()) {
    std::string id = std::move(order_.front());
    order_.pop_front();
    auto entry = queued_.find(id);
    if (entry == queued_.end()) continue;
    queued work = entry->second;
    queued_.erase(entry);
    if (auto camera = cameras_.find(id); camera != cameras_.end() && work.publish)
      for (auto& [slot, m] : slotted(camera->second))
        if (work.publish & bit(slot)) ready_.push_back(std::move(m));
    if (work.clear)
      for (auto& [slot, topic] : topics_of(id))
        if (work.clear & bit(slot)) ready_.push_back({std::move(topic), ""});
  }
  if (ready_.empty()) return std::nullopt;
  return pop(ready_);
}

std::vector<broker::message> retained_state::take_queued() {
  std::vector<broker::message> out;
  while (auto m = next()) out.push_back(std::move(*m));
  return out;
}

std::vector<std::string> retained_state::readback_filters() const {
  const auto& prefix = settings_.discovery_settings.prefix;
  // Both layouts, whatever the mode now: a switch of mode must not leave the old configs behind.
  std::vector<std::string> filters{prefix + "/device/+/config", prefix + "/+/+/+/config"};
  for (const auto& row : camera_entities())
    if (read_back(row)) filters.push_back(settings_.base_topic + "/+/" + std::string(row.key));
  return filters;
}

// The attributes tell which cameras earlier runs published; the states of the controls are read
// back too, since they go away with mqtt.commands: false while their camera stays.
bool retained_state::read_back(const broker::entity_row& row) {
  return row.key == broker::attributes_key || (row.state && !row.command.empty());
}

std::pair<std::string, const broker::entity_row*> retained_state::state_owner(const std::string& topic) const {
  const std::string head = settings_.base_topic + "/";
  auto slash = topic.rfind('/');
  if (!topic.starts_with(head) || slash == std::string::npos || slash <= head.size()) return {};
  std::string_view key = std::string_view(topic).substr(slash + 1);
  // Event rows are not read back (a picture is up to events.max_picture), but an earlier run's
  // record names them when their feature was on (core: clear_stale).
  auto row = std::find_if(camera_entities().begin(), camera_entities().end(), [&](const broker::entity_row& r) {
    return r.key == key && (read_back(r) || (r.state && !r.feature.empty()));
  });
  if (row == camera_entities().end()) return {};
  std::string id = topic.substr(head.size(), slash - head.size());
  // Only an id this bridge could have made (camera_id: [A-Z0-9_-], upper-case); anything else
  // under our base, lower-case ids included, is someone else's and never cleared.
  bool ours = std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
  if (id == "bridge" || !ours) return {};
  return {id, &*row};
}

bool retained_state::is_ours(const std::string& topic, std::string_view payload) const {
  // A topic name never holds wildcards (nor NUL); one that does is not to be published back.
  if (payload.empty() || topic.find_first_of(std::string_view("+#\0", 3)) != std::string::npos) return false;
  if (state_owner(topic).second) return true;
  if (!topic.starts_with(settings_.discovery_settings.prefix + "/") || !topic.ends_with("/config")) return false;
  boost::system::error_code ec;
  auto root = boost::json::parse(payload, ec);
  const auto* object = root.if_object();
  const auto* dev = object ? object->if_contains("dev") : nullptr;
  if (!dev || !dev->is_object()) return false;
  const auto bridge_id = broker::bridge_device_id(settings_.discovery_settings);
  auto names_bridge = [&](const boost::json::value* v) { return v && v->is_string() && v->get_string() == bridge_id; };
  if (names_bridge(dev->get_object().if_contains("via_device"))) return true;
  if (const auto* ids = dev->get_object().if_contains("ids"); ids && ids->is_array())
    for (const auto& id : ids->get_array())
      if (names_bridge(&id)) return true;
  return false;
}

std::vector<broker::message> retained_state::stale(const std::set<std::string>& read_back) const {
  std::set<std::string> wanted;
  if (settings_.discovery)
    for (auto& m : broker::bridge_discovery(settings_.discovery_settings)) wanted.insert(std::move(m.topic));
  const auto& features = settings_.discovery_settings.features;
  if (settings_.discovery)
    for (const auto& [id, camera] : cameras_)
      for (const auto* row : broker::discovered_rows(camera, features))
        wanted.insert(broker::camera_discovery_topic(settings_.discovery_settings, id, *row));
  std::vector<broker::message> states, discovery;
  for (const auto& topic : read_back) {
    if (auto [id, row] = state_owner(topic); row) {
      auto camera = cameras_.find(id);
      if (camera != cameras_.end()) {
        // A control's state the camera no longer has (commands turned off, model without it). An
        // event row's value stays until its entity goes (events or pictures turned off), and so
        // does a state of the property read: at start it is not read again yet.
        bool gone = row->feature.empty() && !broker::read_state(*row, camera->second)
                        ? !broker::has_state(*row, camera->second, features)
                        : !broker::has_entity(*row, camera->second, features);
        if (gone) states.push_back({topic, ""});
        continue;
      }
      if (row->key != broker::attributes_key) {
        // Cleared with the rest of the camera when its attributes came back too (topics_of), unless
        // topics_of leaves it out: an event row whose feature is off now.
        if (!read_back.count(settings_.base_topic + "/" + id + "/" + std::string(broker::attributes_key)) ||
            !broker::feature_on(settings_.discovery_settings.features, *row))
          states.push_back({topic, ""});
        continue;
      }
      // Every topic a camera can have, whatever it reported last time.
      for (auto& [slot, t] : topics_of(id))
        if (slot < rows) states.push_back({std::move(t), ""});
    } else if (!wanted.count(topic)) {
      discovery.push_back({topic, ""});
    }
  }
  states.insert(states.end(), std::make_move_iterator(discovery.begin()), std::make_move_iterator(discovery.end()));
  return states;
}

}  // namespace bridge
