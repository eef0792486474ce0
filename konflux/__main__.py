from konflux.cli.main import main

main()
