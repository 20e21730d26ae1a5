// INTEGRATION: the real kubectl of tests/env reads every corpus document, and
// we must read it the same way; the stored expectations must still be current.
#include <gtest/gtest.h>

#include "corpus.hpp"
#include "support.hpp"

using namespace driftless::test;

TEST(YamlCorpusKubectl, OurReadingEqualsTheRealKubectl) {
  const std::string kubectl = test_env()["KUBECTL"];
  ASSERT_FALSE(kubectl.empty()) << "KUBECTL missing from the tests/env env file";
  for (const auto& yaml : corpus_documents()) {
    SCOPED_TRACE(yaml.filename().string());
    // annotate --local reads the file exactly as apply/create do, without a server.
    auto r = run({kubectl, "annotate", "--local", "-o", "json", "-f", yaml.string(), "driftless.dev/corpus-"},
                 {{"KUBECONFIG", "/dev/null"}});
    KubectlReading live;
    live.refused = r.exit_code != 0;
    live.error = r.err;
    if (!live.refused) live.objects = json_stream(r.out);
    EXPECT_EQ(compare_with_ours(yaml, live), "");
    KubectlReading stored = stored_reading(yaml);
    EXPECT_EQ(stored.refused, live.refused) << "corpus/" << yaml.stem().string() << ".json is stale: run corpus/regenerate";
    EXPECT_TRUE(stored.objects == live.objects) << "corpus/" << yaml.stem().string() << ".json is stale: run corpus/regenerate";
  }
}
