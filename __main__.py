"""Entry point for `pulumi up -s <stack>`: everything lives in components.program."""

from components.program import main

main()
