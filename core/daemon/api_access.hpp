// Who may use the control API (reconcile, suspend, resume). A web page the
// operator happens to open must not be able to: such requests carry an Origin
// other than the daemon's own (only the dashboard it serves has that one),
// cannot send a JSON content type without a CORS preflight (which is never
// answered), and cannot know the token; a DNS-rebinding page names the daemon
// by the attacker's host name, which the Host check refuses.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "daemon/http_server.hpp"

namespace driftless::core {

/// `text` with ASCII letters in lower case (header values, host names).
std::string ascii_lower(std::string_view text);

/// The control API's token: the first line of api.tokenFile, else the
/// variable api.tokenEnv; "" when neither holds one. The CLI and the daemon
/// both read it from here.
std::string read_api_token(const ApiSpec& api);

/// Whether a Host header names this daemon: an IP address, `localhost`, or
/// one of api.allowedHosts (any port).
bool host_allowed(std::string_view host_header, const ApiSpec& api);

/// The refusal of a request to /api/, or nullopt when it may proceed.
/// `mutating`: reconcile, suspend or resume, which also need the token, no
/// Origin but the daemon's own (http(s)://<Host>) and a JSON body.
std::optional<ServedResponse> refuse_api_request(const ServedRequest& request, const ApiSpec& api, bool mutating);

}  // namespace driftless::core
