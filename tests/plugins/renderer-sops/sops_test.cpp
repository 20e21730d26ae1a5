// The sops renderer against the real sops and age of tests/env (and GnuPG's
// gpg for OpenPGP keys): fixtures are encrypted at test time with fresh keys, and what the renderer decrypts must
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

// The OpenPGP tests fail, never skip, without GnuPG.
void require_gpg() {
  if (run({"gpg", "--version"}).exit_code != 0)
    throw std::runtime_error("gpg (GnuPG) is missing: the OpenPGP tests need it (tests/env/install-deps installs gnupg)");
}

// Processes still running whose command line names `path` (a leftover gpg-agent).
int live_processes_naming(const fs::path& path) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::string cmdline;
    try {
      cmdline = read_file(entry.path() / "cmdline");
    } catch (const std::exception&) {
      continue;
    }
    if (cmdline.find(path.string()) != std::string::npos) ++count;
  }
  return count;
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

  // A new OpenPGP key without passphrase (RSA, or Curve25519 when `curve`) in
  // the test's GnuPG home, its armored private key in <name>.asc; returns its fingerprint.
  std::string pgp_keygen(const std::string& name, bool curve = false) {
    require_gpg();
    fs::create_directories(gnupg_);
    fs::permissions(gnupg_, fs::perms::owner_all, fs::perm_options::replace);
    const std::string types = curve ? "Key-Type: EDDSA\nKey-Curve: ed25519\nSubkey-Type: ECDH\nSubkey-Curve: cv25519\n"
                                    : "Key-Type: RSA\nKey-Length: 2048\nSubkey-Type: RSA\nSubkey-Length: 2048\n";
    write_file(keys_ / "params", "%no-protection\n" + types + "Name-Real: " + name + "\nName-Email: " + name +
                                     "@example.com\nExpire-Date: 0\n%commit\n");
    checked(run({"gpg", "--batch", "--homedir", gnupg_.string(), "--gen-key", (keys_ / "params").string()}), "gpg --gen-key");
    const std::string listing = checked(run({"gpg", "--batch", "--homedir", gnupg_.string(), "--with-colons",
                                             "--list-secret-keys", name + "@example.com"}),
                                        "gpg --list-secret-keys");
    const auto fpr = listing.find("\nfpr:::::::::");
    if (fpr == std::string::npos) throw std::runtime_error("gpg listed no fingerprint for " + name);
    const std::string fingerprint = listing.substr(fpr + 13, 40);
    write_file(pgp_key_file(name), checked(run({"gpg", "--batch", "--homedir", gnupg_.string(), "--armor",
                                                "--export-secret-keys", fingerprint}),
                                           "gpg --export-secret-keys"));
    return fingerprint;
  }
  fs::path pgp_key_file(const std::string& name) const { return keys_ / (name + ".asc"); }

  void TearDown() override {
    if (fs::exists(gnupg_)) run({"gpgconf", "--homedir", gnupg_.string(), "--kill", "all"});
  }

  // Writes `plain` to repo/<file> encrypted by the real sops for `recipients`
  // ("--age", "age1…" or "--pgp", "FINGERPRINT", or both).
  void encrypt_for(const std::string& file, const std::string& plain, const std::vector<std::string>& recipients,
                   std::vector<std::string> options = {}) {
    const fs::path in = keys_ / ("plain-" + fs::path(file).filename().string());
    write_file(in, plain);
    std::vector<std::string> argv{tool("SOPS"), "--encrypt"};
    argv.insert(argv.end(), recipients.begin(), recipients.end());
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back(in.string());
    write_file(repo_ / file, checked(run(argv, {{"GNUPGHOME", gnupg_.string()}}), "sops --encrypt"));
    fs::remove(in);
  }
  void encrypt(const std::string& file, const std::string& plain, const std::string& recipients,
               std::vector<std::string> options = {}) {
    encrypt_for(file, plain, {"--age", recipients}, std::move(options));
  }

  // The real sops's plaintext of a repository file, with the age identity `key`
  // and the test's GnuPG home.
  std::string sops_plaintext(const fs::path& file, const std::string& key) {
    std::map<std::string, std::string> env{{"GNUPGHOME", gnupg_.string()}};
    if (fs::exists(key_file(key))) env["SOPS_AGE_KEY_FILE"] = key_file(key).string();
    return checked(run({tool("SOPS"), "--decrypt", file.string()}, env), "sops --decrypt");
  }

  // What the real sops decrypts the repository file to, read as manifests.
  std::vector<KubeObject> sops_decrypt(const std::string& file, const std::string& key) {
    return parse_manifests(sops_plaintext(repo_ / file, key), file).objects;
  }

  // The yaml stage, then the sops stage configured by `config`.
  Rendered decrypt(const std::string& config) {
    auto read = render({"yaml", "{}", repo_, "", {}, nullptr});
    if (!read.config_error.empty() || has_errors(read.result.diagnostics))
      throw std::runtime_error("yaml stage: " + read.config_error + read.diagnostics());
    return render({"sops", config, repo_, "", read.result.objects, nullptr});
  }
  // decrypt(config) while the environment variable `name` holds `value`.
  Rendered decrypt_with_variable(const std::string& name, const std::string& value, const std::string& config) {
    ::setenv(name.c_str(), value.c_str(), 1);
    auto r = decrypt(config);
    ::unsetenv(name.c_str());
    return r;
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
  fs::path gnupg_ = dir_ / "gnupg";  // the test's own keyring, for sops
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
  auto r = decrypt_with_variable("DRIFTLESS_TEST_AGE_KEY", read_file(key_file("alice")), "{ageKeyEnv: DRIFTLESS_TEST_AGE_KEY}");
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
  auto reference = [&](const std::string& file) { return sops_plaintext(repo_ / "app" / file, "alice"); };
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

// OpenPGP recipients, as Flux's kustomize-controller decrypts them (through
// gpg): a Secret manifest and secretGenerator files (dotenv, JSON) encrypted
// by the real sops for an RSA and a Curve25519 key must decrypt to what
// `sops --decrypt` prints; the private GnuPG home and its agent are gone after.
TEST_F(SopsRenderer, OpenPgpKeysDecryptWhatSopsEncryptsExactlyAsSopsDecrypts) {
  const std::string carol = pgp_keygen("carol");
  const std::string dave = pgp_keygen("dave", true);
  encrypt_for("secrets/db.yaml", kDbSecret, {"--pgp", carol}, {"--encrypted-regex", "^(data|stringData)$"});
  encrypt_for("typed.yaml", kTypedValues, {"--pgp", dave});
  // pgpKeyFile may name a folder: Flux's decryption Secret mounted as a volume, one *.asc file per key.
  const fs::path secret_volume = dir_ / "sops-gpg";
  fs::create_directories(secret_volume);
  fs::copy_file(pgp_key_file("carol"), secret_volume / "carol.asc");
  fs::copy_file(pgp_key_file("dave"), secret_volume / "dave.asc");
  write_file(secret_volume / "age.agekey", "not read: only *.asc files are OpenPGP keys\n");
  const fs::path temp = dir_ / "tmp";
  fs::create_directories(temp);
  const std::string saved_tmpdir = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "";
  ::setenv("TMPDIR", temp.c_str(), 1);  // where the plugin makes its private GnuPG home

  const std::string config = "{pgpKeyFile: " + secret_volume.string() + "}";
  auto r = decrypt(config);
  encrypt_for("app/app.env", "DB_USER=admin\nDB_PASSWORD=s3cr3t=with=equals\n", {"--pgp", carol});
  encrypt_for("app/config.json", R"({"token": "abc", "retries": 3, "nested": {"on": true}})", {"--pgp", dave});
  write_file(repo_ / "app/kustomization.yaml",
             "secretGenerator:\n- name: app\n  namespace: apps\n  options: {disableNameSuffixHash: true}\n"
             "  files: [app.env, config.json]\n");
  auto built = render({"kustomize", block_with_tool("kustomizePath", "KUSTOMIZE"), repo_, "app", {}, nullptr});
  auto files = render({"sops", config, repo_, "app", built.result.objects, nullptr});
  if (saved_tmpdir.empty()) ::unsetenv("TMPDIR");
  else ::setenv("TMPDIR", saved_tmpdir.c_str(), 1);

  ASSERT_EQ(r.config_error, "");
  EXPECT_EQ(r.diagnostics(), "");
  for (const char* file : {"secrets/db.yaml", "typed.yaml"}) expect_same_as_sops(file, "", r);
  ASSERT_EQ(built.diagnostics(), "");
  ASSERT_EQ(files.diagnostics(), "");
  ASSERT_EQ(files.ids(), std::vector<std::string>{"Secret/apps/app"});
  const Value& data = *files.result.objects[0].body.find("data");
  auto ours = [&](const std::string& key) { return base64_decode(data.string_or(key)).value_or("(not base64)"); };
  EXPECT_EQ(ours("app.env"), sops_plaintext(repo_ / "app/app.env", ""));
  EXPECT_EQ(to_json(*parse_json(ours("config.json"))), to_json(*parse_json(sops_plaintext(repo_ / "app/config.json", ""))));

  std::string left;  // of a GnuPG home (the harness keeps folders of its own there)
  for (const auto& entry : fs::recursive_directory_iterator(temp))
    if (entry.path().filename() == "pubring.kbx" || entry.path().filename() == "private-keys-v1.d") left += " " + entry.path().string();
  EXPECT_EQ(left, "") << "the private GnuPG homes are removed";
  EXPECT_TRUE(eventually([&] { return live_processes_naming(temp) == 0; }, std::chrono::seconds(10)))
      << "the gpg-agent of a private home is stopped";
}

TEST_F(SopsRenderer, APgpFileWithoutItsKeyNamesTheFileTheFingerprintAndWhereToPutTheKey) {
  const std::string carol = pgp_keygen("carol");
  const std::string mallory = pgp_keygen("mallory");
  keygen("alice");
  encrypt_for("s.yaml", kDbSecret, {"--pgp", carol}, {"--encrypted-regex", "^(data|stringData)$"});

  auto none = decrypt(with_key("alice"));
  EXPECT_TRUE(none.ids().empty());
  EXPECT_NE(none.diagnostics().find("s.yaml:2: error: cannot decrypt this SOPS-encrypted document: no key given opens this "
                                    "file: it is encrypted for pgp " + carol),
            std::string::npos)
      << none.diagnostics();
  EXPECT_NE(none.diagnostics().find("no OpenPGP key was given: put the armored private key"), std::string::npos)
      << none.diagnostics();
  EXPECT_NE(none.diagnostics().find("in the file or folder of pgpKeyFile"), std::string::npos) << none.diagnostics();

  auto wrong = decrypt("{pgpKeyFile: " + pgp_key_file("mallory").string() + "}");
  EXPECT_TRUE(wrong.ids().empty());
  EXPECT_NE(wrong.diagnostics().find("it is encrypted for pgp " + carol + ", and no age identity was given"),
            std::string::npos)
      << wrong.diagnostics();
  EXPECT_NE(wrong.diagnostics().find("the OpenPGP keys given (pgpKeyFile " + pgp_key_file("mallory").string() + ") are " +
                                     mallory + ": add the private key of a recipient there"),
            std::string::npos)
      << wrong.diagnostics();
}

TEST_F(SopsRenderer, AFileForAgeAndPgpRecipientsOpensWithEitherKey) {
  const std::string alice = keygen("alice");
  const std::string carol = pgp_keygen("carol");
  encrypt_for("both.yaml", kDbSecret, {"--age", alice, "--pgp", carol}, {"--encrypted-regex", "^(data|stringData)$"});
  auto with_age = decrypt(with_key("alice"));
  EXPECT_EQ(with_age.diagnostics(), "");
  expect_same_as_sops("both.yaml", "alice", with_age);
  auto with_pgp = decrypt("{pgpKeyFile: " + pgp_key_file("carol").string() + "}");
  EXPECT_EQ(with_pgp.diagnostics(), "");
  expect_same_as_sops("both.yaml", "", with_pgp);
  auto with_env =
      decrypt_with_variable("DRIFTLESS_TEST_PGP_KEY", read_file(pgp_key_file("carol")), "{pgpKeyEnv: DRIFTLESS_TEST_PGP_KEY}");
  EXPECT_EQ(with_env.diagnostics(), "");
  expect_same_as_sops("both.yaml", "", with_env);
}

TEST_F(SopsRenderer, AMalformedArmoredPgpKeyIsAClearErrorWithoutEchoingIt) {
  const std::string carol = pgp_keygen("carol");
  encrypt_for("s.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {k: v}\n", {"--pgp", carol});
  auto refused = [&](const std::string& name, const std::string& text) {
    write_file(keys_ / name, text);
    auto r = decrypt("{pgpKeyFile: " + (keys_ / name).string() + "}");
    EXPECT_TRUE(r.ids().empty()) << name;
    EXPECT_EQ(r.diagnostics().find("SECRETBODY"), std::string::npos) << r.diagnostics();
    return r.diagnostics();
  };
  EXPECT_NE(refused("text.asc", "\nSECRETBODY not a key\n").find("pgpKeyFile " + (keys_ / "text.asc").string() +
                                                                  ":2: not part of an ASCII-armored OpenPGP private key block"),
            std::string::npos);
  EXPECT_NE(refused("unclosed.asc", "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nSECRETBODY\n")
                .find("unclosed.asc:1: the private key block has no '-----END PGP PRIVATE KEY BLOCK-----' line"),
            std::string::npos);
  const std::string exported_public =
      checked(run({"gpg", "--batch", "--homedir", gnupg_.string(), "--armor", "--export", carol}), "gpg --export");
  EXPECT_NE(refused("public.asc", exported_public).find("public.asc:1: a public key block: decryption needs the private key"),
            std::string::npos);
  const std::string garbled = refused(
      "garbled.asc", "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nSECRETBODYSECRETBODY\n=abcd\n-----END PGP PRIVATE KEY BLOCK-----\n");
  EXPECT_NE(garbled.find("s.yaml:1: error: cannot decrypt this SOPS-encrypted document: the data key for pgp recipient " + carol +
                         ": the OpenPGP keys of pgpKeyFile " + (keys_ / "garbled.asc").string() +
                         " cannot be imported: gpg took no secret key from them"),
            std::string::npos)
      << garbled;
}
