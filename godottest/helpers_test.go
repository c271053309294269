package godottest_test

import "os"

func testingRequireBrowser() bool { return os.Getenv("PACKETPEER_REQUIRE_BROWSER") == "1" }
