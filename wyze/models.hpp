#pragma once
#include <string>
#include <string_view>

namespace wyze {

/// The human name of a Wyze product model ("WYZE_CAKP2JFUS" → "Cam v3"); the code itself when unknown.
std::string model_name(std::string_view product_model);

}  // namespace wyze
