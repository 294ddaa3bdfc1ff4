package httpapi

import "strings"

// K6SpecRaw is the spec of K6SpecEnv (what follows its "=") over the decrypt route's ?format=raw form: the
// response is the value itself, with no responsePath. Use it for values
// whose JSON escaping (a quote or control character takes 2 to 6 bytes)
// would pass the 24 KiB response cap of k6 and of the url source: any
// valid value fits raw. The spec holds the token, as K6SpecEnv's does.
func K6SpecRaw(baseURL, namespace, token string) string {
	return "url=urlTemplate=" + strings.TrimRight(baseURL, "/") + decryptPath(namespace, "{key}") +
		"?format=raw,headers.Authorization=Bearer " + token
}
