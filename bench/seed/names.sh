#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Sourced by the baselines' install.sh (bench/seed, bench/ifupdown): the article's
# interface names in a line of its files, replaced by the ones given.

# article_names LINE: sets $renamed to LINE with the article's names enp3s0, wlp2s0
# and bond0 replaced by $wired, $wifi and $master. bash's ${var//"pat"/"rep"} with
# quoted operands is a literal replacement; the names go through unique placeholders
# so that no replacement is replaced again (a master named enp3s0x, a wired NIC named
# bond0).
article_names() {
	local W=$'\x01W\x01' F=$'\x01F\x01' M=$'\x01M\x01' line=$1
	line=${line//"enp3s0"/"$W"}
	line=${line//"wlp2s0"/"$F"}
	line=${line//"bond0"/"$M"}
	line=${line//"$W"/"$wired"}
	line=${line//"$F"/"$wifi"}
	line=${line//"$M"/"$master"}
	renamed=$line
}
