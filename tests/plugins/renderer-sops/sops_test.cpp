// The sops renderer against the real sops and age of tests/env: fixtures are
// encrypted at test time with fresh keys, and what the renderer decrypts must
// equal what `sops --decrypt` prints (differential), while tampered files,
// wrong keys and malformed values are refused with nothing passed on.
#include <gtest/gtest.h>

#include "driftless/toolkit/hash.hpp"
#include "driftless/toolkit/manifests.hpp"
#include "driftless/toolkit/yaml.hpp"
#include "render_harness.hpp"
#include "support.hpp"

using namespace driftless;
using namespace driftless::test;
namespace fs = std::filesystem;

namespace {

std::string tool(const std::string& name) {
  const std::string path = test_env()[name];
  if (path.empty()) throw std::runtime_error(name + " is missing from the tests/env env file (tests/env/build-tools sops age)");
  return path;
}

std::string checked(const CommandResult& r, const std::string& what) {
  if (r.exit_code != 0) throw std::runtime_error(what + " failed: " + r.err);
  return r.out;
}

class SopsRenderer : public ::testing::Test {
 protected:
  // A new age identity in <repo's parent>/<name>.txt; returns its recipient.
  std::string keygen(const std::string& name) {
    const fs::path file = keys_ / (name + ".txt");
    fs::create_directories(keys_);
    checked(run({tool("AGE_KEYGEN"), "-o", file.string()}), "age-keygen");
    std::string recipient = checked(run({tool("AGE_KEYGEN"), "-y", file.string()}), "age-keygen -y");
    while (!recipient.empty() && recipient.back() == '\n') recipient.pop_back();
    return recipient;
  }
  fs::path key_file(const std::string& name) const { return keys_ / (name + ".txt"); }

  // Writes `plain` to repo/<file> encrypted by the real sops for `recipients`.
  void encrypt(const std::string& file, const std::string& plain, const std::string& recipients,
               std::vector<std::string> options = {}) {
    const fs::path in = keys_ / ("plain-" + fs::path(file).filename().string());
    write_file(in, plain);
    std::vector<std::string> argv{tool("SOPS"), "--encrypt", "--age", recipients};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back(in.string());
    write_file(repo_ / file, checked(run(argv), "sops --encrypt"));
    fs::remove(in);
  }

  // What the real sops decrypts the repository file to, read as manifests.
  std::vector<KubeObject> sops_decrypt(const std::string& file, const std::string& key) {
    auto out = checked(run({tool("SOPS"), "--decrypt", (repo_ / file).string()}, {{"SOPS_AGE_KEY_FILE", key_file(key).string()}}),
                       "sops --decrypt");
    return parse_manifests(out, file).objects;
  }

  // The yaml stage, then the sops stage configured by `config`.
  Rendered decrypt(const std::string& config) {
    auto read = render({"yaml", "{}", repo_, "", {}, nullptr});
    if (!read.config_error.empty() || has_errors(read.result.diagnostics))
      throw std::runtime_error("yaml stage: " + read.config_error + read.diagnostics());
    return render({"sops", config, repo_, "", read.result.objects, nullptr});
  }
  std::string with_key(const std::string& name) { return "{ageKeyFile: " + key_file(name).string() + "}"; }

  void expect_same_as_sops(const std::string& file, const std::string& key, const Rendered& ours) {
    const auto reference = sops_decrypt(file, key);
    std::vector<const KubeObject*> mine;
    for (const auto& o : ours.result.objects)
      if (o.origin.file == file) mine.push_back(&o);
    ASSERT_EQ(mine.size(), reference.size()) << file;
    for (std::size_t i = 0; i < reference.size(); ++i) {
      EXPECT_EQ(to_json(mine[i]->body), to_json(reference[i].body)) << file << " document " << i;
    }
  }

  TempDir dir_;
  fs::path repo_ = dir_ / "repo";
  fs::path keys_ = dir_ / "keys";
};

const std::string kDbSecret = R"(# database credentials
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: apps
  labels: {app.kubernetes.io/name: db}
  annotations: {note: "rotated in 2026"}
type: Opaque
stringData:
  username: admin
  password: "p@ss: w0rd #not-a-comment"
  port: "5432"
  empty: ""
  unicode: "clé ✓"
  config.yaml: |
    host: db.apps.svc
    tls: true
data:
  ca.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUI=
)";

const std::string kTypedValues = R"(apiVersion: example.com/v1
kind: Settings
metadata: {name: typed}
spec:
  replicas: 3
  negative: -12
  ratio: 0.25
  big: 1e3
  enabled: true
  disabled: false
  nothing: null
  list: [a, 2, 3.5, false, {nested: deep}]
  user_unencrypted: visible
)";

}  // namespace

TEST_F(SopsRenderer, DecryptsWhatSopsEncryptsExactlyAsSopsDecrypts) {
  const std::string alice = keygen("alice");
  const std::string bob = keygen("bob");
  // Flux's documented way: only data and stringData encrypted.
  encrypt("secrets/db.yaml", kDbSecret, alice, {"--encrypted-regex", "^(data|stringData)$"});
  // The whole document encrypted (apiVersion and kind too), every value type.
  encrypt("typed.yaml", kTypedValues, alice);
  // Several documents, one data key and one MAC; two recipients, the key is the second.
  encrypt("multi.yaml",
          kDbSecret + "---\napiVersion: v1\nkind: Secret\nmetadata: {name: api, namespace: apps}\nstringData: {token: abc}\n"
                      "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain, namespace: apps}\ndata: {a: b}\n",
          bob + "," + alice, {"--encrypted-regex", "^(data|stringData)$"});
  encrypt("json/secret.json",
          R"({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "j", "namespace": "apps"},)"
          R"( "stringData": {"token": "s3cr3t", "n": 42, "f": 1.5, "t": true}})",
          alice, {"--encrypted-suffix", "Data"});
  encrypt("mac-only.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: m, namespace: apps}\nstringData: {k: v}\n", alice,
          {"--encrypted-regex", "^stringData$", "--mac-only-encrypted"});
  write_file(repo_ / "plain.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: untouched, namespace: apps}\n");

  auto r = decrypt(with_key("alice"));
  ASSERT_EQ(r.config_error, "");
  EXPECT_EQ(r.diagnostics(), "");
  for (const char* file : {"secrets/db.yaml", "typed.yaml", "multi.yaml", "json/secret.json", "mac-only.yaml"})
    expect_same_as_sops(file, "alice", r);
  EXPECT_EQ(r.ids().size(), 8u);
  for (const auto& o : r.result.objects) EXPECT_EQ(o.body.find("sops"), nullptr) << o.id();
  const auto& db = r.result.objects[6];
  ASSERT_EQ(db.id() + "@" + db.origin.file + ":" + std::to_string(db.origin.line), "Secret/apps/db@secrets/db.yaml:2");
  EXPECT_EQ(db.body.at_path({"stringData", "password"})->as_string(), "p@ss: w0rd #not-a-comment");
}

TEST_F(SopsRenderer, IdentitiesComeFromAnEnvironmentVariable) {
  const std::string alice = keygen("alice");
  encrypt("s.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {k: v}\n", alice);
  ::setenv("DRIFTLESS_TEST_AGE_KEY", read_file(key_file("alice")).c_str(), 1);
  auto r = decrypt("{ageKeyEnv: DRIFTLESS_TEST_AGE_KEY}");
  ::unsetenv("DRIFTLESS_TEST_AGE_KEY");
  EXPECT_EQ(r.diagnostics(), "");
  expect_same_as_sops("s.yaml", "alice", r);
  auto unset = decrypt("{ageKeyEnv: DRIFTLESS_TEST_AGE_KEY}");
  EXPECT_NE(unset.diagnostics().find("the environment variable DRIFTLESS_TEST_AGE_KEY (ageKeyEnv) is not set"),
            std::string::npos)
      << unset.diagnostics();
}

TEST_F(SopsRenderer, WrongOrMissingKeyIsAnErrorNamingFileLineObjectAndRecipients) {
  const std::string alice = keygen("alice");
  const std::string mallory = keygen("mallory");
  encrypt("s.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\n---\n" + kDbSecret, alice,
          {"--encrypted-regex", "^(data|stringData)$"});
  auto wrong = decrypt(with_key("mallory"));
  EXPECT_TRUE(wrong.ids().empty()) << "nothing of the file is passed on";
  EXPECT_NE(wrong.diagnostics().find("s.yaml:1: error: cannot decrypt this SOPS-encrypted document: no key given opens this "
                                     "file: it is encrypted for age " + alice + ", and the age identities given (ageKeyFile " +
                                     key_file("mallory").string() + ") are " + mallory + " (ConfigMap/other)"),
            std::string::npos)
      << wrong.diagnostics();
  auto none = decrypt("{ageKeyFile: " + (keys_ / "absent.txt").string() + "}");
  EXPECT_NE(none.diagnostics().find("the age key file ageKeyFile " + (keys_ / "absent.txt").string() + " cannot be read"),
            std::string::npos)
      << none.diagnostics();
  EXPECT_TRUE(none.ids().empty());
}

TEST_F(SopsRenderer, TamperedMovedOrEditedValuesAreRefused) {
  const std::string alice = keygen("alice");
  encrypt("s.yaml", kDbSecret, alice, {"--encrypted-regex", "^(data|stringData)$"});
  const std::string original = read_file(repo_ / "s.yaml");
  auto refused = [&](const std::string& text, const std::string& expected) {
    write_file(repo_ / "s.yaml", text);
    auto r = decrypt(with_key("alice"));
    EXPECT_TRUE(r.ids().empty()) << expected;
    EXPECT_NE(r.diagnostics().find("s.yaml:2: error: cannot decrypt this SOPS-encrypted document: " + expected),
              std::string::npos)
        << r.diagnostics();
    EXPECT_EQ(r.diagnostics().find("admin"), std::string::npos) << "plaintext in a message";
  };
  // One bit of a ciphertext flipped.
  std::string flipped = original;
  const auto data = flipped.find("data:", flipped.find("username: ENC[")) + 5;
  flipped[data] = flipped[data] == 'A' ? 'B' : 'A';
  refused(flipped, "at stringData:username: the value does not authenticate");
  // Two ciphertexts swapped: each is bound to its key path.
  auto value_of = [&](const std::string& key) {
    const auto at = original.find(key + ": ENC[") + key.size() + 2;
    return original.substr(at, original.find('\n', at) - at);
  };
  std::string swapped = original;
  const std::string user = value_of("username"), port = value_of("port");
  swapped.replace(swapped.find(user), user.size(), "@@");
  swapped.replace(swapped.find(port), port.size(), user);
  swapped.replace(swapped.find("@@"), 2, port);
  refused(swapped, "at stringData:username: the value does not authenticate");
  // A value outside the encrypted part edited: only the MAC sees it.
  std::string edited = original;
  edited.replace(edited.find("rotated in 2026"), 15, "rotated in 2027");
  refused(edited, "the MAC does not match the values");
  // An encrypted value removed.
  std::string removed = original;
  const auto line = removed.find("    port: ENC[");
  removed.erase(line, removed.find('\n', line) + 1 - line);
  refused(removed, "the MAC does not match the values");
  // Two keys in another order, as kustomize sorts them: the hint says why a file no one edited fails.
  std::string reordered = original;
  const std::string names = "    name: db\n    namespace: apps\n";
  reordered.replace(reordered.find(names), names.size(), "    namespace: apps\n    name: db\n");
  refused(reordered, "the MAC does not match the values: the file was changed after it was encrypted (a value edited, added, "
                     "removed or moved); re-encrypt it with sops. The MAC covers the order of the keys, and kustomize");
  // Malformed values: not ENC[…], bad base64.
  std::string plain = original;
  plain.replace(plain.find(user), user.size(), "admin2");
  refused(plain, "at stringData:username: the value is not ENC[AES256_GCM,data:…,iv:…,tag:…,type:…] with base64 parts");
  std::string bad64 = original;
  bad64.replace(bad64.find(user), user.size(), "ENC[AES256_GCM,data:!!!,iv:AAAA,tag:AAAA,type:str]");
  refused(bad64, "at stringData:username: the value is not ENC[");
}

TEST_F(SopsRenderer, AMalformedKeyFileIsRefusedWithoutEchoingIt) {
  keygen("alice");
  write_file(keys_ / "bad.txt", "# created: today\nAGE-SECRET-KEY-1NOTAKEYATALLQQQQ\n");
  encrypt("s.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {k: v}\n", keygen("bob"));
  auto r = decrypt(with_key("bad"));
  EXPECT_NE(r.diagnostics().find(key_file("bad").string() + ":2: not an age X25519 identity"), std::string::npos)
      << r.diagnostics();
  EXPECT_EQ(r.diagnostics().find("NOTAKEY"), std::string::npos);
}

TEST_F(SopsRenderer, AFolderWithoutEncryptedFilesNeedsNoKey) {
  write_file(repo_ / "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n");
  auto r = decrypt("{ageKeyFile: /nonexistent/keys.txt}");
  EXPECT_EQ(r.diagnostics(), "");
  EXPECT_EQ(r.ids(), std::vector<std::string>{"ConfigMap/cm"});
}

// Flux's case: kustomize's secretGenerator over files encrypted whole (dotenv,
// JSON, YAML, binary); each data value must become what `sops --decrypt`
// prints for that file.
TEST_F(SopsRenderer, SecretGeneratorFilesEncryptedWholeAreDecryptedAsSopsDoes) {
  const std::string alice = keygen("alice");
  encrypt("app/app.env", "DB_USER=admin\nDB_PASSWORD=s3cr3t=with=equals\nMULTI=line1\\nline2\n", alice);
  encrypt("app/config.json", R"({"token": "abc", "retries": 3, "nested": {"on": true}})", alice);
  encrypt("app/settings.yaml", "password: hunter2\nports: [80, 443]\n", alice);
  encrypt("app/cert.bin", std::string("\x01\x02" "binary\x00" "bytes\xff", 15), alice);
  write_file(repo_ / "app/kustomization.yaml",
             "secretGenerator:\n- name: app\n  namespace: apps\n  options: {disableNameSuffixHash: true}\n"
             "  files: [app.env, config.json, settings.yaml, cert.bin]\n");
  auto built = render({"kustomize", block_with_tool("kustomizePath", "KUSTOMIZE"), repo_, "app", {}, nullptr});
  ASSERT_EQ(built.diagnostics(), "");
  auto r = render({"sops", with_key("alice"), repo_, "app", built.result.objects, nullptr});
  ASSERT_EQ(r.diagnostics(), "");
  ASSERT_EQ(r.ids(), std::vector<std::string>{"Secret/apps/app"});
  const Value& data = *r.result.objects[0].body.find("data");
  auto ours = [&](const std::string& key) { return base64_decode(data.string_or(key)).value_or("(not base64)"); };
  for (const auto& [key, value] : built.result.objects[0].body.find("data")->as_object())
    EXPECT_NE(value.as_string().find('\n'), std::string::npos) << key << ": kustomize folds base64 into lines";
  auto reference_encrypted = [&](const std::string& file) { return read_file(repo_ / "app" / file); };
  auto reference = [&](const std::string& file) {
    return checked(run({tool("SOPS"), "--decrypt", (repo_ / "app" / file).string()},
                       {{"SOPS_AGE_KEY_FILE", key_file("alice").string()}}),
                   "sops --decrypt");
  };
  EXPECT_EQ(ours("app.env"), reference("app.env"));
  EXPECT_EQ(ours("cert.bin"), reference("cert.bin"));
  EXPECT_EQ(to_json(*parse_json(ours("config.json"))), to_json(*parse_json(reference("config.json"))));
  EXPECT_EQ(to_json(parse_yaml(ours("settings.yaml"), "").documents.at(0).value),
            to_json(parse_yaml(reference("settings.yaml"), "").documents.at(0).value));

  // A tampered file inside the Secret is refused; the Secret is not passed on.
  std::string env = reference_encrypted("app.env");
  const auto at = env.find("DB_USER=ENC[AES256_GCM,data:") + 28;
  env[at] = env[at] == 'A' ? 'B' : 'A';
  auto objects = built.result.objects;
  objects[0].body.find("data")->as_object().set("app.env", base64_encode(env));
  auto refused = render({"sops", with_key("alice"), repo_, "app", objects, nullptr});
  EXPECT_TRUE(refused.ids().empty());
  EXPECT_NE(refused.diagnostics().find("app/kustomization.yaml: error: cannot decrypt the SOPS-encrypted file in data.app.env: "
                                       "at DB_USER: the value does not authenticate"),
            std::string::npos)
      << refused.diagnostics();
}
