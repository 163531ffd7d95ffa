#pragma once
// The simulator's answers in the shapes the cloud uses, and the small readers its endpoints share
// (sim/account.cpp, sim/account_events.cpp).
#include "sim/account.hpp"

#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace sim {

std::int64_t now_ms();
response json_answer(unsigned status, const boost::json::value& body);
/// The `/app` envelope: {"ts","code":"1","msg":"","data"}.
response envelope(const boost::json::value& data);
response envelope_error(std::string_view code, std::string_view msg);
/// A string member, or empty.
std::string field(const boost::json::object& o, std::string_view key);
/// An int64 member, or `otherwise`.
std::int64_t int_field(const boost::json::object& o, std::string_view key, std::int64_t otherwise);
std::string upper(std::string text);
/// A request body as a JSON object, or an empty one when it is not one.
boost::json::object parse_object(const std::string& body);
/// A request header (names are lower case), or empty.
std::string header_of(const request& req, const std::string& name);
/// A device the bridge takes for a camera: product_type "Camera" or "Doorbell".
bool is_camera(const boost::json::object& device);

}  // namespace sim
