#include "bridge/event_state.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace json = boost::json;

namespace bridge {
namespace {

// Ids kept for the newest time: a burst that shares one millisecond is at most a few pages.
constexpr std::size_t max_ids = 1000;

}  // namespace

wyze::event_query event_state::query(std::int64_t now_ms, std::vector<std::string> macs) const {
  wyze::event_query q;
  q.macs = std::move(macs);
  q.begin_ms = std::max(newest_ms_.value_or(now_ms - first_lookback_ms), now_ms - max_lookback_ms);
  q.end_ms = now_ms + end_ahead_ms;
  q.count = page_size;
  q.nonce = now_ms;
  return q;
}

event_state::page event_state::take(std::vector<wyze::camera_event> answer) {
  page out;
  const std::size_t got = answer.size();
  for (auto& e : answer) {
    if (newest_ms_ && (e.time_ms < *newest_ms_ || (e.time_ms == *newest_ms_ && ids_at_newest_.count(e.id)))) continue;
    if (!newest_ms_ || e.time_ms > *newest_ms_) {
      newest_ms_ = e.time_ms;
      ids_at_newest_.clear();
    }
    if (ids_at_newest_.size() < max_ids) ids_at_newest_.insert(e.id);
    out.fresh.push_back(std::move(e));
  }
  // A full answer with nothing new in it would come back the same: no follow-up then.
  out.full = got >= static_cast<std::size_t>(page_size) && !out.fresh.empty();
  return out;
}

std::int64_t event_state::picture_time(const std::string& id) const {
  auto it = pictures_.find(id);
  return it == pictures_.end() ? 0 : it->second;
}

void event_state::set_picture_time(const std::string& id, std::int64_t ms) { pictures_[id] = ms; }

std::string event_state::serialize() const {
  json::object o;
  if (newest_ms_) o["newest_ms"] = *newest_ms_;
  json::array ids;
  for (const auto& id : ids_at_newest_) ids.emplace_back(id);
  o["ids"] = std::move(ids);
  json::object pictures;
  for (const auto& [id, ms] : pictures_) pictures[id] = ms;
  o["pictures"] = std::move(pictures);
  return json::serialize(o) + "\n";
}

wyze::result<event_state> event_state::parse(std::string_view text) {
  event_state s;
  if (text.empty()) return s;
  json::error_code ec;
  auto root = json::parse(text, ec);
  const auto* o = ec ? nullptr : root.if_object();
  if (!o)
    return wyze::error{wyze::failure::file,
                       "events.json is not a JSON object; starting from the last 5 minutes of events"};
  if (const auto* v = o->if_contains("newest_ms"); v && v->is_int64() && v->get_int64() > 0)
    s.newest_ms_ = v->get_int64();
  if (const auto* v = o->if_contains("ids"); v && v->is_array())
    for (const auto& id : v->get_array())
      if (id.is_string() && s.ids_at_newest_.size() < max_ids) s.ids_at_newest_.emplace(id.get_string());
  if (const auto* v = o->if_contains("pictures"); v && v->is_object())
    for (const auto& [id, ms] : v->get_object())
      if (ms.is_int64()) s.pictures_[std::string(id)] = ms.get_int64();
  return s;
}

}  // namespace bridge
