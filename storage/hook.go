package storage

import (
	"github.com/strongbox-go/strongbox/internal/storehook"
	"github.com/strongbox-go/strongbox/storage/driver"
)

func init() {
	storehook.Wrap = func(s any, wrap func(driver.Store) driver.Store) any {
		return s.(*Store).wrapDrivers(wrap)
	}
}
