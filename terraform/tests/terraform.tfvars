# Variables every test file shares (terraform test loads this file from the tests directory); a file's own
# variables block overrides them. The API keys are ephemeral: terraform test needs them set in plan and apply alike.
subnet_ids        = ["subnet-0a1b2c3d4e5f60718", "subnet-0a1b2c3d4e5f60719"]
web_allowed_cidrs = ["203.0.113.0/24"]
image_tag         = "0123abc"
api_keys          = ["0123456789abcdef0123456789abcdef"]
