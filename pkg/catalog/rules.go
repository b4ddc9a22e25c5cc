package catalog

import "fmt"

// SetPublished applies publish or unpublish to an item's flags. A hidden
// item cannot be published: its policy was not retrieved by the last sync,
// so consumers could not use it. Publishing ends placeholder status (an
// admin has taken the item on).
func SetPublished(published, placeholder *bool, hidden, publish bool, kind string, id uint64) error {
	if publish && hidden {
		return fmt.Errorf("%w: %s %d is hidden (its policy was not retrieved by the last sync) and cannot be published; restore the policy's tag in the Dashboard and sync", ErrInvalid, kind, id)
	}
	*published = publish
	if publish {
		*placeholder = false
	}
	return nil
}
