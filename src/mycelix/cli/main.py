"""Entry point: `mycelix COMMAND`. Each command builds `Settings` and calls into the package.

One line per command below, so commands added in parallel merge without conflicts."""

from __future__ import annotations

import typer

from mycelix.cli.backup_cmds import backup, restore
from mycelix.cli.chain_cmds import chain_app, deploy
from mycelix.cli.check_cmd import check
from mycelix.cli.common import ConfigFile, config_file
from mycelix.cli.demo_cmd import demo
from mycelix.cli.doctor_cmd import doctor
from mycelix.cli.indexer_cmd import indexer_app
from mycelix.cli.init_cmd import init
from mycelix.cli.monitor_cmd import monitor
from mycelix.cli.pay_cmds import buy, pay, subscribe, tip, withdraw
from mycelix.cli.scaffold_cmd import scaffold_app
from mycelix.cli.security_cmd import security
from mycelix.cli.serve_cmd import serve
from mycelix.cli.songs_cmd import songs_app
from mycelix.cli.stats_cmd import stats
from mycelix.cli.upload_cmd import upload

app = typer.Typer(
    name="mycelix",
    help="Mycelix Music: a music platform where every song carries its own economics.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def main(config: ConfigFile = None) -> None:
    """Mycelix Music: a music platform where every song carries its own economics.

    Settings come from flags, then MYCELIX_* variables, then the config file, then
    defaults (docs/configuration.md)."""
    config_file.set(config)


app.command()(init)
app.command()(doctor)
app.command()(stats)
app.command()(deploy)
app.command()(demo)
app.command()(serve)
app.command()(backup)
app.command()(restore)
app.command()(check)
app.command()(monitor)
app.command()(security)
app.command()(upload)
app.command()(pay)
app.command()(tip)
app.command()(subscribe)
app.command()(buy)
app.command()(withdraw)
app.add_typer(chain_app, name="chain")
app.add_typer(indexer_app, name="indexer")
app.add_typer(songs_app, name="songs")
app.add_typer(scaffold_app, name="scaffold")


if __name__ == "__main__":
    app()
