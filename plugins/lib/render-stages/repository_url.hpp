// Which repository a Git URL names, whatever its spelling: the flux and
// argocd stages compare a declaration's repository with the one the pipeline
// reads (the git source's "url" metadata), and which URLs a declaration may
// make driftless fetch.
#pragma once

#include <string>

namespace driftless::renderers {

/// "github.com/org/repo" for every spelling of one repository's URL (scheme,
/// user, port of ssh, ".git", a final '/' and the host's case left out), to
/// compare two of them: https://github.com/Org/repo.git, ssh://git@github.com:22/Org/repo
/// and git@github.com:Org/repo all give "github.com/Org/repo".
std::string repository_key(const std::string& url);

/// Whether a repository a declaration names may be fetched with credentials
/// the config lends for it (declaredSourceAuth): https://, http://, git://,
/// ssh:// or scp-like (git@host:org/repo); never a file URL or a path, which
/// would read this machine.
bool is_fetchable_git_url(const std::string& url);

}  // namespace driftless::renderers
