// The sources' tarball reader (plugins/lib/tarball; the s3 and oci sources): unpacks the input into a snapshot under
// bounds like the source's defaults (smaller, to keep runs fast) and commits
// it, which checks every symlink.
#include <cstdint>
#include <string>
#include <vector>

#include "driftless/toolkit/snapshot.hpp"
#include "tarball.hpp"
#include "tests/fuzz/fuzz_dir.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string archive(reinterpret_cast<const char*>(data), size);
  {
    driftless::SnapshotWriter writer(driftless::fuzz::fuzz_dir(), "snapshot");
    if (driftless::unpack_tarball(archive, "fuzz.tar.gz", writer, {1000, "maxObjects", 1 << 20, "maxTotalSize"}).ok()) {
      std::vector<std::string> removed_links;
      (void)writer.commit(removed_links);
    }
  }
  driftless::remove_read_only_tree(driftless::fuzz::fuzz_dir() / "snapshot");
  return 0;
}
