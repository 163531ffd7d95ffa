#include "wyze/models.hpp"

#include <array>
#include <utility>

namespace wyze {

std::string model_name(std::string_view product_model) {
  // From shared/reference/wyze-cloud-api.md (docker-wyze-bridge api_models.py, wyzeapy, wyze-sdk);
  // ME_WCO3 from wyzeapy services/camera_service.py (DEVICEMGMT_API_MODELS).
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 26> names{{
      {"WYZEC1", "Cam v1"},           {"WYZEC1-JZ", "Cam v2"},      {"WYZE_CAKP2JFUS", "Cam v3"},
      {"HL_CAM3P", "Cam v3 Pro"},     {"HL_CAM4", "Cam v4"},        {"WYZECP1_JEF", "Cam Pan"},
      {"HL_PAN2", "Cam Pan v2"},      {"HL_PAN3", "Cam Pan v3"},    {"HL_PANP", "Cam Pan Pro"},
      {"HL_PAN4", "Cam Pan v4"},      {"GW_DUO", "Cam Pan Duo"},    {"WYZEDB3", "Video Doorbell"},
      {"HL_DB2", "Doorbell v2"},      {"GW_BE1", "Doorbell Pro"},   {"AN_RDB1", "Doorbell Pro 2"},
      {"GW_DBD", "Doorbell Duo"},     {"GW_GC1", "Cam OG"},         {"GW_GC2", "Cam OG 3X"},
      {"GW_WC", "Window Cam"},        {"WVOD1", "Cam Outdoor"},     {"HL_WCO2", "Cam Outdoor v2"},
      {"AN_RSCW", "Battery Cam Pro"}, {"HL_CFL2", "Floodlight v2"}, {"LD_CFP", "Floodlight Pro"},
      {"HL_BC", "Bulb Cam"},          {"ME_WCO3", "Solar Cam Pan"},
  }};
  for (auto [code, name] : names)
    if (code == product_model) return std::string(name);
  return std::string(product_model);
}

}  // namespace wyze
