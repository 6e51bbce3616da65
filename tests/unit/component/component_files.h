// Test helper: loads the hand-written components that the build assembles with `jco parse`.
#pragma once

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace witserve::testing {

inline std::vector<uint8_t> component_wat_file(const std::string& name) {
  std::string path = std::string(WITSERVE_COMPONENT_WAT_DIR) + "/" + name + ".wasm";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing test fixture " + path);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace witserve::testing
