"""One module per network. Each defines `NETWORK` (a NetworkSpec); `registry` finds them."""
