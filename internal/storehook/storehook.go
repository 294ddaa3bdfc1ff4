// Package storehook lets the test harnesses in internal/ (fault injection)
// run the driver calls of a storage.Store through a wrapper, without an
// exported API for it. Package storage sets Wrap when it is initialized;
// nothing else may set it.
package storehook

import "github.com/strongbox-go/strongbox/storage/driver"

// Wrap returns a new *storage.Store over wrap(d) for each driver d of s, a
// *storage.Store. The new Store shares s's lifecycle: closing either
// closes both, and closes the wrapped drivers once.
var Wrap func(s any, wrap func(driver.Store) driver.Store) any
