// Every corpus document read by parse_manifests equals what kubectl made of it
// (the stored corpus/NAME.json); no cluster or kubectl needed.
#include <gtest/gtest.h>

#include "corpus.hpp"

using namespace driftless::test;

TEST(YamlCorpus, EveryDocumentReadsAsKubectlReadsIt) {
  const auto documents = corpus_documents();
  ASSERT_GE(documents.size(), 25u);
  for (const auto& yaml : documents) {
    SCOPED_TRACE(yaml.filename().string());
    EXPECT_EQ(compare_with_ours(yaml, stored_reading(yaml)), "");
  }
}
