#pragma once
// The extra trust anchors for Wyze's own hosts (SPEC 12): current trust stores are dropping the root
// Wyze's API hosts chain to, so the bridge carries it, for those hosts only.
#include <string_view>

namespace wyze {

/// DigiCert Global Root CA (G1) and Global Root G2, PEM.
std::string_view wyze_root_certificates();

/// wyze.com, wyzecam.com and their subdomains (any case, a trailing dot allowed).
bool is_wyze_host_name(std::string_view host);

}  // namespace wyze
