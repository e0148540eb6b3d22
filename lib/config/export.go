package config

// CheckName validates an interface name given outside the file (arguments, udev's
// environment) by the same rules as names inside it.
func CheckName(name string) error { return checkName(name) }
