// React Flow's stylesheet, loaded with the pages that draw a lab (main.tsx's withFlow), not by the
// join page; in a cascade layer (flow-styles.css) so the app's own rules win.
import './flow-styles.css';
