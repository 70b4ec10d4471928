// Route: answers one parsed request of the API — the routing table, each endpoint's input
// validation, and the lookups and actions behind it (registry, store, executor, hub).
//
//   Route(state, request, response);   // on a reactor thread; exceptions are the caller's
//
// Routing is our own rather than Pistache's Rest::Router, whose 0.0.5 version races on
// unregistered methods: every path has its methods in one place and any other method gets
// 405 with Allow; an unknown path 404 "not_found". A `{run_id}` in a path is the whole id
// or a unique prefix of it (404 when none matches, 400 "ambiguous_run_id" when several
// do). Input errors are 400 for a malformed path, query or body and 422 for an invalid
// value (the Status mapping of http_io.h). Routes never wait on a running plugin.
#pragma once

#include <pistache/http.h>

namespace stratrun::http {

struct ApiState;

/// Answers `request` on `response`. May throw (the connection guard answers 500).
void Route(ApiState& state, const Pistache::Http::Request& request, Pistache::Http::ResponseWriter& response);

}  // namespace stratrun::http
