// wyze-cloud-sim: a Wyze cloud on 127.0.0.1 for demos, tests and benchmarks, with real TLS.
#include "sim/server.hpp"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <thread>

namespace {

const char* usage =
    "usage: wyze-cloud-sim [--listen ADDR] [--port N] [--port-file PATH] [--ca-out PATH] [--cameras N]\n"
    "                      [--email E] [--password P] [--key-id K] [--api-key A] [--seed N]\n"
    "                      [--access-token-calls N] [--access-token-seconds N] [--totp-key BASE32]\n"
    "                      [--accessories] [--newer-models] [--event-every SECONDS]\n"
    "\n"
    "Serves the Wyze cloud endpoints the bridge uses (API-key and legacy login, refresh, device lists)\n"
    "over HTTPS with a certificate from a throwaway CA written to --ca-out (point wyze.ca_file at it).\n"
    "Control API for tests: GET /sim/stats; POST /sim/cameras (add); POST|DELETE /sim/cameras/<MAC>;\n"
    "POST /sim/tokens/expire {\"refresh\":bool}; GET /sim/secrets;\n"
    "POST /sim/ratelimit {\"remaining\":N,\"reset_in_s\":S} (headers on every answer; {} clears); POST /sim/fault\n"
    "{\"kind\":\"http500|garbage|slow|ratelimit|http429|drop-connection\",\n"
    "\"count\":N,\"delay_ms\":N,\"endpoint\":\"/app/v4/device/get_event_list\"}.\n"
    "Events: POST /sim/events {\"mac\",\"value\",\"tags\",\"count\",\"age_s\",\"picture\",\"picture_size\",\n"
    "\"expires_s\"}; GET /sim/pictures/<event id|thumbnail/MAC>. --event-every N: a motion or person event\n"
    "on a random camera every N seconds (the demo; on the doorbell, a press now and then). --accessories: four\n"
    "more cameras, a Cam v3 with the garage door controller, a Floodlight v2, a Cam Outdoor v2 on its battery and\n"
    "a Video Doorbell (the demo). Accessory states: POST /sim/cameras/<MAC> {\"properties\":{\"P1056\":\"1\"}}.\n"
    "--newer-models: four device-management cameras, a Cam OG, a Cam Pan v4, a Floodlight Pro and a Battery Cam\n"
    "Pro; their states: POST /sim/cameras/<MAC> {\"properties\":{\"iot-device.iot-power\":\"0\"}}.\n";

bool write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1", port_file, ca_out = "wyze-cloud-sim-ca.pem";
  unsigned long port = 0, cameras = 4, seed = 1, event_every = 0;
  sim::credentials creds;
  sim::behaviour how;
  bool accessories = false, newer_models = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << usage;
      return 0;
    }
    if (arg == "--accessories") {
      accessories = true;
      continue;
    }
    if (arg == "--newer-models") {
      newer_models = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::cerr << "wyze-cloud-sim: " << arg << " needs a value\n" << usage;
      return 2;
    }
    std::string value = argv[++i];
    try {
      if (arg == "--listen")
        listen = value;
      else if (arg == "--port")
        port = std::stoul(value);
      else if (arg == "--port-file")
        port_file = value;
      else if (arg == "--ca-out")
        ca_out = value;
      else if (arg == "--cameras")
        cameras = std::stoul(value);
      else if (arg == "--seed")
        seed = std::stoul(value);
      else if (arg == "--email")
        creds.email = value;
      else if (arg == "--password")
        creds.password = value;
      else if (arg == "--key-id")
        creds.key_id = value;
      else if (arg == "--api-key")
        creds.api_key = value;
      else if (arg == "--access-token-seconds")
        how.access_token_life = std::chrono::seconds(std::stoul(value));
      else if (arg == "--access-token-calls")
        how.access_token_calls = std::stoul(value);
      else if (arg == "--totp-key")
        how.totp_key = value;
      else if (arg == "--event-every")
        event_every = std::stoul(value);
      else
        throw std::invalid_argument("unknown");
    } catch (const std::exception&) {
      std::cerr << "wyze-cloud-sim: bad argument " << arg << " " << value << "\n" << usage;
      return 2;
    }
  }
  if (port > 65535 || cameras > 1'000'000) {
    std::cerr << "wyze-cloud-sim: --port must be 0..65535 and --cameras at most 1000000\n";
    return 2;
  }
  try {
    auto certs = sim::make_certificates();
    if (!write_file(ca_out, certs.ca_pem)) {
      std::cerr << "wyze-cloud-sim: cannot write the CA to " << ca_out << "\n";
      return 1;
    }
    sim::account account(creds, cameras, static_cast<std::uint32_t>(seed), how);
    if (accessories) account.add_accessory_cameras();
    if (newer_models) account.add_devicemgmt_cameras();
    const unsigned long all = cameras + (accessories ? 4 : 0) + (newer_models ? 4 : 0);
    if (event_every > 0 && all > 0)
      // The demo's events: motion, now and then a person, on a random camera; a doorbell's presses.
      std::thread([&account, event_every] {
        std::mt19937 random(7);
        for (;;) {
          std::this_thread::sleep_for(std::chrono::seconds(event_every));
          std::string mac = account.demo_camera(static_cast<unsigned>(random()));
          if (mac.empty()) continue;
          std::string tags = random() % 3 == 0 ? "[101]" : "[]";
          int value = account.demo_event_value(mac, random());
          account.handle({"POST",
                          "/sim/events",
                          {},
                          R"({"mac":")" + mac + R"(","value":)" + std::to_string(value) + R"(,"tags":)" + tags + "}"});
        }
      }).detach();
    sim::serve(account, certs, listen, static_cast<std::uint16_t>(port), [&](std::uint16_t bound) {
      // The port file is written last and whole, so a reader that sees it can connect.
      if (!port_file.empty() && !(write_file(port_file + ".tmp", std::to_string(bound) + "\n") &&
                                  std::rename((port_file + ".tmp").c_str(), port_file.c_str()) == 0))
        std::cerr << "wyze-cloud-sim: cannot write " << port_file << "\n";
      std::cout << "wyze-cloud-sim: " << all << " cameras on https://" << listen << ":" << bound << " (CA: " << ca_out
                << ")" << std::endl;
    });
  } catch (const std::exception& e) {
    std::cerr << "wyze-cloud-sim: " << e.what() << "\n";
    return 1;
  }
}
