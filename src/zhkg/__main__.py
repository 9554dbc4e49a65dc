from zhkg.cli import main

main()
