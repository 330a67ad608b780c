// Package jsonshape holds everything weather_apis checks in an upstream
// answer, and nothing that belongs to the upstream's domain. The DRF backend
// belongs to another team: it renames, nests and re-versions its answers
// without asking, so only rules that every DRF backend meets are built in:
//
//   - Check: a 2xx body is JSON and, as the route's Kind says, an object or a
//     page (DRF's {"count", "next", "previous", "results"}, any object with a
//     "results" list, or a plain list). A route may also require that the body
//     declares "schema_version" (the farm schema route does).
//   - Declared: the schema version an answer declares, from its body's
//     top-level "schema_version" or the X-Schema-Version header, read before
//     any other check so that a new version is a fact even when the answer is
//     rejected. Canonical is the one normalisation of a version in the code
//     base: the JSON number 2, 2.0 and the string "2.0" are all "2".
//   - Of: the shape fingerprint of an answer (a Print): the set of JSON paths
//     with the kinds of value seen there, values ignored and array elements
//     folded together. Compare tells whether two prints describe different
//     shapes; a null, an absent optional member or an empty array is never a
//     difference (see Compare).
//
// Anything else (member names, nesting, field types) is the backend's to
// decide and flows through, labelled with the version it came with.
package jsonshape
