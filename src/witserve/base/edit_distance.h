// Levenshtein distance between two strings, for "did you mean" suggestions (manifest keys,
// command-line subcommands). Any thread.
#pragma once

#include <cstddef>
#include <string_view>

namespace witserve {

size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace witserve
