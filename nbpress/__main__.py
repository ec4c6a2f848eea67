from nbpress.cli import main

main()
