from cnncalc.cli import main

main(prog_name="cnncalc")
