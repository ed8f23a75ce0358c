#!/usr/bin/env bats
# greet's tests, with the installed bats-sock64 (bats-sock64(7)).
bats_require_minimum_version 1.7.0
bats_load_library bats-support
bats_load_library bats-assert
bats_load_library bats-sock64

setup() { sock64_start -- "$BATS_TEST_DIRNAME/greet"; }
teardown() { sock64_stop; }

@test "greet numbers the requests of a connection" {
	run -0 sock64_send world again
	assert_line -n 0 "Hello, world! (request 1 from 127.0.0.1)"
	assert_line -n 1 "Hello, again! (request 2 from 127.0.0.1)"
}

@test "greet says hello to nobody too" {
	assert_sock64_reply "" "Hello, ! (request 1 from 127.0.0.1)"
}

@test "a malformed header gets no reply, and a line in the log" {
	sock64_header "1 3" | assert_sock64_closed --raw
	assert_sock64_log 'malformed header \(byte 3 is 0x33\)'
}
