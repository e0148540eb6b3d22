module github.com/bond-hotplug/bond-hotplug

go 1.26.8

require (
	github.com/coreos/go-systemd/v22 v22.7.0
	github.com/godbus/dbus/v5 v5.2.4
	github.com/jochenvg/go-udev v0.0.0-20171110120927-d6b62d56d37b
	github.com/joho/godotenv v1.5.1
	github.com/vishvananda/netlink v1.3.1
	github.com/vishvananda/netns v0.0.5
	golang.org/x/sys v0.50.0
	golang.org/x/term v0.48.0
)

require github.com/jkeiser/iter v0.0.0-20200628201005-c8aa0ae784d1 // indirect
