// Fails when the SDK contract headers change while DRIFTLESS_ABI_VERSION stays
// the same: plugins built against the old headers would load and then misbehave.
// sdk/abi.lock records, per ABI version, a hash of the headers with comments
// and whitespace removed (so documentation edits don't count).
// The contract is the files directly in sdk/include/driftless/. The toolkit
// (sdk/include/driftless/toolkit/) is left out on purpose: it is a static
// library compiled into each plugin, nothing of it crosses to the core, so it
// changes without an ABI bump.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "driftless/abi.hpp"
#include "driftless/toolkit/hash.hpp"
#include "support.hpp"

namespace fs = std::filesystem;

namespace {

// The header text without comments, with runs of white space folded.
std::string code_only(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 2, "//") == 0) {
      i = text.find('\n', i);
      if (i == std::string::npos) break;
    } else if (text.compare(i, 2, "/*") == 0) {
      i = text.find("*/", i);
      if (i == std::string::npos) break;
      ++i;
      continue;
    } else if (text[i] == '"') {  // strings are code, even when they hold "//"
      std::size_t end = i + 1;
      while (end < text.size() && text[end] != '"') end += text[end] == '\\' ? 2 : 1;
      out += text.substr(i, end - i + 1);
      i = end;
      continue;
    }
    if (i >= text.size()) break;
    const bool space = std::isspace(static_cast<unsigned char>(text[i]));
    if (space) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += text[i];
    }
  }
  return out;
}

// The contract headers, sorted.
std::vector<fs::path> contract_headers() {
  std::vector<fs::path> headers;
  for (const auto& entry : fs::directory_iterator(driftless::test::source_dir() / "sdk/include/driftless")) {
    if (entry.path().filename() == "toolkit") continue;  // not the contract: see the top of this file
    headers.push_back(entry.path());
  }
  std::sort(headers.begin(), headers.end());
  return headers;
}

std::string headers_hash() {
  const std::vector<fs::path> headers = contract_headers();
  driftless::Sha256 hash;
  for (const auto& h : headers) {
    hash.update(h.filename().string() + "\n");
    hash.update(code_only(driftless::test::read_file(h)) + "\n");
  }
  return hash.hex();
}

}  // namespace

TEST(AbiLock, HeadersMatchTheLockedHashOfThisAbiVersion) {
  const std::string current = headers_hash();
  std::ifstream lock(driftless::test::source_dir() / "sdk/abi.lock");
  ASSERT_TRUE(lock) << "sdk/abi.lock is missing";
  std::string locked;
  for (std::string line; std::getline(lock, line);) {
    std::istringstream fields(line);
    unsigned version = 0;
    std::string hash;
    if (line.empty() || line[0] == '#' || !(fields >> version >> hash)) continue;
    if (version == DRIFTLESS_ABI_VERSION) locked = hash;
  }
  ASSERT_FALSE(locked.empty()) << "sdk/abi.lock has no line for ABI version " << DRIFTLESS_ABI_VERSION
                               << "; add: " << DRIFTLESS_ABI_VERSION << " " << current;
  EXPECT_EQ(locked, current) << "the SDK headers changed but DRIFTLESS_ABI_VERSION is still " << DRIFTLESS_ABI_VERSION
                             << ": bump it in sdk/include/driftless/abi.hpp and add to sdk/abi.lock the line: "
                             << DRIFTLESS_ABI_VERSION + 1 << " <hash printed by this test after the bump>";
}

// Left out of the hash, the toolkit must stay out of the contract's reach: a
// contract header that included it would put its layouts back under the ABI.
TEST(AbiLock, NoContractHeaderIncludesTheToolkit) {
  ASSERT_TRUE(fs::is_directory(driftless::test::source_dir() / "sdk/include/driftless/toolkit"));
  for (const auto& header : contract_headers()) {
    const std::string code = code_only(driftless::test::read_file(header));
    EXPECT_EQ(code.find("driftless/toolkit/"), std::string::npos)
        << header.filename().string() << " includes a toolkit header: the contract must not depend on the toolkit";
  }
}

TEST(AbiLock, CommentsAndWhitespaceDoNotCount) {
  EXPECT_EQ(code_only("int  a; // note\n/* block */ int b;"), code_only("int a;\nint b;"));
  EXPECT_NE(code_only("int a;"), code_only("long a;"));
  EXPECT_EQ(code_only("const char* s = \"//not a comment\";"), "const char* s = \"//not a comment\";");
}

TEST(AbiLock, TheSdkMajorVersionIsTheAbiVersion) {
  const std::string version = DRIFTLESS_SDK_VERSION;
  EXPECT_EQ(version.substr(0, version.find('.')), std::to_string(DRIFTLESS_ABI_VERSION))
      << "DRIFTLESS_SDK_VERSION must start with the ABI version";
}
