; Inno Setup script of the LiveTrader installer for Windows (Inno Setup 6.3 or later).
;
; `python packaging\build.py` builds the bundle and then runs this script when iscc.exe is on
; PATH, passing the version from livetrader_gui\__init__.py (its only home) and the folders:
;
;   iscc /DAppVersion=0.1.0 /DDist=C:\src\livetrader\dist /DWork=C:\src\livetrader\build packaging\windows\livetrader.iss
;
; The installer lands in DIST as livetrader-gui-VERSION-windows-x64-setup.exe. It installs per
; user by default (no administrator needed) and keeps the trader's data folder on uninstall: the
; database and logs live in the user data folder, never under {app}.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z (packaging\build.py does)
#endif
#ifndef Dist
  #define Dist "..\..\dist"
#endif
#ifndef Work
  #define Work "..\..\build"
#endif

[Setup]
; The AppId ties upgrades and the uninstaller to this application: never change it.
AppId={{0199556F-AA38-45B2-AE34-9FAEADA508EC}
AppName=LiveTrader
AppVersion={#AppVersion}
AppVerName=LiveTrader {#AppVersion}
AppPublisher=LiveTrader
DefaultDirName={autopf}\LiveTrader
DefaultGroupName=LiveTrader
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
SetupIconFile={#Work}\livetrader\icons\livetrader.ico
UninstallDisplayIcon={app}\livetrader-gui.exe
OutputDir={#Dist}
OutputBaseFilename=livetrader-gui-{#AppVersion}-windows-x64-setup
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
; A running LiveTrader holds its files: ask the trader to close it rather than fail midway.
CloseApplications=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#Dist}\livetrader-gui\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An upgrade replaces the bundle whole: files of the previous version must not linger beside it.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\LiveTrader"; Filename: "{app}\livetrader-gui.exe"
Name: "{autodesktop}\LiveTrader"; Filename: "{app}\livetrader-gui.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\livetrader-gui.exe"; Description: "{cm:LaunchProgram,LiveTrader}"; Flags: nowait postinstall skipifsilent
