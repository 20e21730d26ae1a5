// YAML with Kubernetes semantics: a document gives the same JSON object that
// kubectl gives for it (YAML 1.1 booleans, merge keys, non-string keys turned
// into strings). Fast: built on libyaml's event parser.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "driftless/diagnostic.hpp"
#include "driftless/value.hpp"

namespace driftless {

/// Bounds that keep a hostile document from exhausting memory or stack.
struct YamlLimits {
  std::size_t max_depth = 256;            ///< nesting of mappings and sequences
  std::size_t max_alias_nodes = 100000;   ///< nodes copied through aliases per document
  std::size_t max_alias_bytes = 64 << 20; ///< scalar text copied through aliases per stream (all its documents are kept)
};

/// One document of a multi-document stream.
struct YamlDocument {
  Value value;
  int index = 0;  ///< 0-based position in the stream, counting empty documents
  int line = 0;   ///< 1-based line where the document starts
};

struct YamlParseResult {
  std::vector<YamlDocument> documents;  ///< empty documents are left out
  std::vector<Diagnostic> diagnostics;  ///< syntax errors name `file` and the line
};

/// Parses every document of `text` the way kubectl reads a manifest file:
/// split at lines starting with "---", each piece read as one YAML document;
/// a stream starting with "{" read as JSON values one after another. `file`
/// is only used in diagnostics. On a syntax error the documents before it
/// are returned along with the error.
YamlParseResult parse_yaml(std::string_view text, const std::string& file, const YamlLimits& limits = {});

/// Block-style YAML text of `value`, keys in stored order, strings quoted when
/// they would otherwise read back as another type.
std::string to_yaml(const Value& value);

}  // namespace driftless

namespace driftless {
/// The value an unquoted YAML scalar stands for ("yes" -> true, "0x1f" -> 31,
/// "~" -> null, anything else -> string), as Kubernetes reads it.
Value yaml_plain_scalar(std::string_view text);
}  // namespace driftless
